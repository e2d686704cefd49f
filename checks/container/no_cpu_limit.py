"""Container has no CPU limit or share."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Container, Snapshot

from ._pods import pod_cgroup_limit
from ._subjects import Judgement, per_container

META = CheckMeta(
    id="container.no_cpu_limit",
    title="Container has no CPU limit or share",
    severity=Severity.LOW,
    scope=Scope.CONTAINER,
    cis=("5.12",),
    rationale="Without --cpus, a CPU quota or CPU shares, one container can take every CPU and starve the host and "
              "its other containers.",
    remediation="Set --cpus (or --cpu-shares / --cpu-quota; Kubernetes: resources.limits.cpu).",
    needs=(),
)

DEFAULT_SHARES = 1024


def judge(facts: Snapshot, ctr: Container) -> Judgement:
    """A quota of its own or its pod cgroup's; shares count outside Kubernetes only (kubelet sets shares from the
    CPU request for every pod container, 2 when it has none: a share is not a limit there)."""
    evidence = {"nano_cpus": ctr.nano_cpus, "cpu_quota": ctr.cpu_quota, "cpu_shares": ctr.cpu_shares}
    limited = ctr.nano_cpus > 0 or ctr.cpu_quota > 0 or (
        ctr.pod is None and ctr.cpu_shares not in (0, DEFAULT_SHARES))
    if not limited and ctr.pod is not None:
        limited, pod_evidence = pod_cgroup_limit(facts, ctr, "cpu_quota")
        evidence |= pod_evidence
    return not limited, evidence


@register(META)
def evaluate(facts):
    return per_container(facts, lambda ctr: judge(facts, ctr))
