"""Container has no memory limit."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Container, Snapshot

from ._pods import pod_cgroup_limit
from ._subjects import Judgement, per_container

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


def judge(facts: Snapshot, ctr: Container) -> Judgement:
    """Limited by its own memory limit or its pod cgroup's."""
    if ctr.memory_limit > 0:
        return False, {"memory_limit": ctr.memory_limit}
    limited, pod_evidence = pod_cgroup_limit(facts, ctr, "memory")
    return not limited, {"memory_limit": ctr.memory_limit, **pod_evidence}


@register(META)
def evaluate(facts: Snapshot):
    return per_container(facts, lambda ctr: judge(facts, ctr))
