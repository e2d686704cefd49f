"""Container has no memory limit."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Snapshot

from ._subjects import per_container

META = CheckMeta(
    id="container.no_memory_limit",
    title="Container has no memory limit",
    severity=Severity.LOW,
    scope=Scope.CONTAINER,
    cis=("5.11",),
    rationale="Without a memory limit one container can exhaust host memory and get other workloads OOM-killed.",
    remediation="Set --memory (Kubernetes: resources.limits.memory).",
    needs=(),
)


@register(META)
def evaluate(facts: Snapshot):
    return per_container(facts, lambda ctr: (ctr.memory_limit <= 0, {"memory_limit": ctr.memory_limit}))
