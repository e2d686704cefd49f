"""Run a per-container judgement over every audited container."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from hostaudit.model import Container, Result, Snapshot, Status, Subject, container_subject

# A judgement: True = the risky condition holds, False = it does not, None = cannot tell, or a Status.
Judgement = tuple[bool | Status | None, dict[str, Any]]
T = TypeVar("T")


def once_per_snapshot(build: Callable[[Snapshot], T]) -> Callable[[Snapshot], T]:
    """`build(facts)`, kept for the last snapshot seen: a fact every container check of one audit asks for (an index,
    a list) is built once per audit instead of once per check or per container."""
    last: tuple[Snapshot | None, Any] = (None, None)

    def kept(facts: Snapshot) -> T:
        nonlocal last
        seen, value = last
        if seen is not facts:
            value = build(facts)
            last = (facts, value)  # one assignment: a reader sees a snapshot with its own value
        return value

    return kept


def once_per_container(judge: Callable[[Snapshot, Container], T]) -> Callable[[Snapshot, Container], T]:
    """`judge(facts, ctr)`, made once per container of the last snapshot seen: a fact that several checks ask of
    every container. The value is shared by all who ask: none may change it."""

    @once_per_snapshot
    def made(_facts: Snapshot) -> dict[str, Any]:
        return {}

    def kept(facts: Snapshot, ctr: Container) -> T:
        known = made(facts)
        if ctr.key not in known:
            known[ctr.key] = judge(facts, ctr)
        return known[ctr.key]

    return kept


@once_per_snapshot
def audited(facts: Snapshot) -> tuple[Container, ...]:
    """Every container, with pod sandboxes (pause containers) folded into their pods rather than reported."""
    return tuple(c for c in facts.all_containers if not c.is_sandbox)


@once_per_snapshot
def _with_subjects(facts: Snapshot) -> tuple[tuple[Container, Subject], ...]:
    """The audited containers, each with its subject (one Subject per container, shared by every check)."""
    return tuple((ctr, container_subject(ctr)) for ctr in audited(facts))


def per_container(facts: Snapshot, judge: Callable[[Container], Judgement]) -> Iterator[Result]:
    for ctr, subject in _with_subjects(facts):
        verdict, evidence = judge(ctr)
        if isinstance(verdict, Status):
            yield Result(subject, verdict, evidence)
        elif verdict is None:
            yield Result(subject, Status.UNKNOWN, evidence)
        elif verdict:
            yield Result(subject, Status.FAIL, evidence)
        else:
            yield Result(subject, Status.PASS, evidence)
