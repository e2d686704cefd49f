"""Run a per-container judgement over every audited container."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from hostaudit.model import Container, Result, Snapshot, Status, Subject, container_subject

# A judgement: True = the risky condition holds, False = it does not, None = cannot tell, or a Status.
Judgement = tuple[bool | Status | None, dict[str, Any]]


def audited(facts: Snapshot) -> list[Container]:
    """Every container, with pod sandboxes (pause containers) folded into their pods rather than reported."""
    return [c for c in facts.all_containers if not c.is_sandbox]


# the audited containers of the last snapshot seen, each with its subject: every container check of one audit walks
# the same list, and shares one Subject per container instead of building its own
_last: tuple[Snapshot | None, tuple[tuple[Container, Subject], ...]] = (None, ())


def _with_subjects(facts: Snapshot) -> tuple[tuple[Container, Subject], ...]:
    global _last
    seen, pairs = _last
    if seen is not facts:
        pairs = tuple((ctr, container_subject(ctr)) for ctr in audited(facts))
        _last = (facts, pairs)
    return pairs


def per_container(facts: Snapshot, judge: Callable[[Container], Judgement]) -> Iterator[Result]:
    for ctr, subject in _with_subjects(facts):
        verdict, evidence = judge(ctr)
        if isinstance(verdict, Status):
            yield Result(subject, verdict, evidence)
        elif verdict is None:
            yield Result.unknown(subject, evidence)
        elif verdict:
            yield Result.failed(subject, evidence)
        else:
            yield Result.passed(subject, evidence)
