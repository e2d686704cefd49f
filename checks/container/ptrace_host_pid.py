"""Container can trace host processes."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Container, Snapshot

from ._effective import capabilities, shares_host_namespace
from ._subjects import Judgement, per_container

META = CheckMeta(
    id="container.ptrace_host_pid",
    title="Container can trace host processes",
    severity=Severity.CRITICAL,
    scope=Scope.CONTAINER,
    cis=("5.16",),
    references=("MITRE ATT&CK T1055", "MITRE ATT&CK T1611"),
    rationale="CAP_SYS_PTRACE in the host PID namespace lets root in the container attach to any host process "
              "and inject code into it, or open its /proc/<pid>/root: host root.",
    remediation="Drop CAP_SYS_PTRACE, or stop sharing the host PID namespace (no --pid=host; Kubernetes: no "
                "hostPID: true).",
    needs=(),
)


def judge(facts: Snapshot, ctr: Container) -> Judgement:
    view = capabilities(facts, ctr)
    evidence = view.evidence("SYS_PTRACE")
    if "SYS_PTRACE" not in view.names:
        return False, evidence
    shared, pid_evidence = shares_host_namespace(facts, ctr, "pid")
    return shared, evidence | pid_evidence


@register(META)
def evaluate(facts: Snapshot):
    return per_container(facts, lambda ctr: judge(facts, ctr))
