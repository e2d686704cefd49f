"""Container joins another container's namespaces."""

from __future__ import annotations

from typing import Any

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Container, Snapshot

from ._subjects import Judgement, per_container

META = CheckMeta(
    id="container.joins_container_namespace",
    title="Container joins another container's namespaces",
    severity=Severity.MEDIUM,
    scope=Scope.CONTAINER,
    cis=("5.10", "5.16", "5.17"),
    rationale="--network/--pid/--ipc container:<x> puts the container in x's namespace: it sees x's processes, "
              "sockets and shared memory, and when x shares the host's namespace, the host's.",
    remediation="Give the container its own namespaces; share a network namespace only inside one trusted pod.",
    needs=(),
)

KINDS = ("network", "pid", "ipc")
MAX_HOPS = 10


def _find(facts: Snapshot, ref: str) -> Container | None:
    """The Docker container a `container:<ref>` names: by id, id prefix or name."""
    for ctr in facts.containers:
        if ref and (ctr.id == ref or ctr.name == ref.lstrip("/") or (len(ref) >= 12 and ctr.id.startswith(ref))):
            return ctr
    return None


def chain(facts: Snapshot, ctr: Container, kind: str) -> tuple[list[str], str]:
    """The containers joined for `kind`, followed transitively, and where the chain ends: host, private,
    unknown (a container not found) or a loop."""
    hops: list[str] = []
    current = ctr
    for _ in range(MAX_HOPS):
        mode = current.namespaces.get(kind, "")
        if not mode.startswith("container:"):
            return hops, "host" if mode == "host" else "private"
        joined = _find(facts, mode.split(":", 1)[1])
        if joined is None:
            hops.append(mode.split(":", 1)[1])
            return hops, "unknown"
        if joined.name in hops or joined.key == ctr.key:
            return hops, "loop"
        hops.append(joined.name)
        current = joined
    return hops, "unknown"


def judge(facts: Snapshot, ctr: Container) -> Judgement:
    evidence: dict[str, Any] = {}
    for kind in KINDS:
        hops, end = chain(facts, ctr, kind)
        if hops:
            evidence[f"namespaces.{kind}.joins"] = hops
            evidence[f"namespaces.{kind}.reaches"] = end
    evidence["reaches_host"] = sorted(k for k in KINDS if evidence.get(f"namespaces.{k}.reaches") == "host")
    return any(f"namespaces.{k}.joins" in evidence for k in KINDS), evidence


@register(META)
def evaluate(facts: Snapshot):
    return per_container(facts, lambda ctr: judge(facts, ctr))
