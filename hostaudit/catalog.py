"""Check metadata, the `register` decorator and the catalog loader."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from hostaudit.model import Result, Snapshot
from hostaudit.severity import Severity

COLLECTORS = ("host", "docker_daemon", "containers", "containerd", "runtime", "files", "audit_rules", "kubelet",
              "sockets")


class Scope(StrEnum):
    HOST = "host"
    DAEMON = "daemon"
    CONTAINER = "container"
    IMAGE = "image"


@dataclass(frozen=True)
class CheckMeta:
    id: str
    title: str
    severity: Severity
    scope: Scope
    rationale: str
    remediation: str
    needs: tuple[str, ...]
    cis: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    ansible_key: str | None = None
    manual: bool = False  # a CIS recommendation that cannot be automated: listed, never evaluated


CheckFunction = Callable[[Snapshot], Iterable[Result]]


@dataclass(frozen=True)
class Check:
    meta: CheckMeta
    evaluate: CheckFunction
    module: str


_REGISTRY: dict[str, Check] = {}


def register(meta: CheckMeta) -> Callable[[CheckFunction], CheckFunction]:
    """Record a check function under its metadata; a duplicate id is an error, never a silent override."""

    def decorate(function: CheckFunction) -> CheckFunction:
        existing = _REGISTRY.get(meta.id)
        if existing is not None and existing.module != function.__module__:
            raise ValueError(f"duplicate check id {meta.id} in {function.__module__} and {existing.module}")
        unknown = set(meta.needs) - set(COLLECTORS)
        if unknown:
            raise ValueError(f"{meta.id} needs unknown collectors {sorted(unknown)}")
        _REGISTRY[meta.id] = Check(meta, function, function.__module__)
        return function

    return decorate


Spec = TypeVar("Spec")


@dataclass(frozen=True)
class Row(Generic[Spec]):
    """One check of a family file (checks that are rows of one table): its id, written literally once under
    `checks/`, its severity, and `spec`, the row's own values (one NamedTuple type per family) from which the
    family's `describe` builds the rest of the metadata and its `evaluate` judges."""

    id: str
    severity: Severity
    spec: Spec


def register_family(rows: Iterable[Row[Spec]], describe: Callable[[Row[Spec]], CheckMeta],
                    evaluate: Callable[[Spec, Snapshot], Iterable[Result]]) -> None:
    """Register every row as its own check: metadata `describe(row)`, function `evaluate(row.spec, facts)`."""
    for row in rows:
        meta = describe(row)
        if (meta.id, meta.severity) != (row.id, row.severity):
            raise ValueError(f"{row.id}: describe() gave {meta.id} ({meta.severity}), not the row's id and severity")
        register(meta)(_row_function(row.spec, evaluate))


def _row_function(spec: Spec, evaluate: Callable[[Spec, Snapshot], Iterable[Result]]) -> CheckFunction:
    def evaluate_row(facts: Snapshot) -> Iterable[Result]:
        return evaluate(spec, facts)

    evaluate_row.__module__ = evaluate.__module__  # the family file's, where the check's test is looked up
    return evaluate_row


@functools.cache
def _import_all() -> None:
    """Import every check module of `hostaudit.checks` (not the `_helper` ones), once: walking the package costs
    about 8 ms, which the watch would otherwise pay for every container it judges."""
    package = importlib.import_module("hostaudit.checks")
    for module in pkgutil.walk_packages(package.__path__, prefix="hostaudit.checks."):
        if not module.name.rsplit(".", 1)[-1].startswith("_"):
            importlib.import_module(module.name)


def load() -> dict[str, Check]:
    """The catalog by id (every check module imported on the first call)."""
    _import_all()
    return dict(sorted(_REGISTRY.items()))
