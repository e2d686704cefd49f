"""Container has no PIDs limit."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Snapshot

from ._subjects import per_container

META = CheckMeta(
    id="container.no_pids_limit",
    title="Container has no PIDs limit",
    severity=Severity.LOW,
    scope=Scope.CONTAINER,
    cis=("5.29",),
    rationale="Without a PIDs limit a fork bomb in one container exhausts the host's process table.",
    remediation="Set --pids-limit (Kubernetes: the kubelet's podPidsLimit).",
    needs=(),
)


@register(META)
def evaluate(facts: Snapshot):
    return per_container(facts, lambda ctr: (ctr.pids_limit is None, {"pids_limit": ctr.pids_limit}))
