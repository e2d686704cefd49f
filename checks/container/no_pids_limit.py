"""Container has no PIDs limit."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Container, Snapshot

from ..kubelet.settings import setting
from ._pods import pod_cgroup_limit
from ._subjects import Judgement, per_container

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


def judge(facts: Snapshot, ctr: Container) -> Judgement:
    """Limited by its own pids.max, its pod cgroup's, or (pod cgroup not read) the kubelet's podPidsLimit."""
    evidence: dict = {"pids_limit": ctr.pids_limit}
    if ctr.pids_limit is not None:
        return False, evidence
    limited, pod_evidence = pod_cgroup_limit(facts, ctr, "pids")
    evidence.update(pod_evidence)
    if limited or pod_evidence or ctr.pod is None or facts.kubelet is None:
        return not limited, evidence
    value, source, problem = setting(facts.kubelet, "pod-max-pids", ("podPidsLimit",), "-1", -1)
    evidence |= {"kubelet.podPidsLimit": value, "kubelet.source": source}
    try:
        return int(str(value)) <= 0, evidence
    except ValueError:
        return None, {**evidence, "error": problem or "unrecognised podPidsLimit"}


@register(META)
def evaluate(facts: Snapshot):
    return per_container(facts, lambda ctr: judge(facts, ctr))
