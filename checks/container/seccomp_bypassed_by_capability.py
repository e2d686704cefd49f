"""Container's capabilities re-open syscalls the default seccomp profile blocks."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Container, Snapshot, Status

from ._effective import capabilities, seccomp_disabled
from ._subjects import Judgement, per_container

META = CheckMeta(
    id="container.seccomp_bypassed_by_capability",
    title="Container's capabilities re-open syscalls the default seccomp profile blocks",
    severity=Severity.HIGH,
    scope=Scope.CONTAINER,
    cis=("5.4", "5.22"),
    references=("CVE-2022-0185", "CVE-2022-0492"),
    rationale="Docker's and containerd's default seccomp profiles allow mount, unshare, setns, bpf, perf_event_open, "
              "open_by_handle_at and init_module to a container that holds the matching capability, so for those "
              "capabilities the profile is no barrier at all.",
    remediation="Drop the capability (CAP_SYS_ADMIN, BPF, PERFMON, DAC_READ_SEARCH, SYS_MODULE); if it is truly "
                "needed, use a custom seccomp profile that still blocks the syscalls the workload does not use.",
    needs=(),
)

# capability -> syscalls the default profile allows only with it
REOPENS = {
    "SYS_ADMIN": ("mount", "umount2", "unshare", "setns", "clone(namespaces)", "bpf", "perf_event_open"),
    "BPF": ("bpf",),
    "PERFMON": ("perf_event_open", "bpf"),
    "DAC_READ_SEARCH": ("open_by_handle_at",),
    "SYS_MODULE": ("init_module", "finit_module", "delete_module"),
}


def judge(facts: Snapshot, ctr: Container) -> Judgement:
    view = capabilities(facts, ctr)
    held = sorted(set(REOPENS) & view.names)
    disabled, seccomp_evidence = seccomp_disabled(facts, ctr)
    evidence = {**view.evidence(), **seccomp_evidence, "capabilities.reopening": held,
                "syscalls.reopened": sorted({s for cap in held for s in REOPENS[cap]})}
    if not held or disabled:
        return False, evidence  # nothing re-opened, or no filter at all (container.seccomp_unconfined)
    if ctr.seccomp == "custom" and ctr.source == "docker":
        return Status.UNKNOWN, evidence  # a custom profile may block them regardless
    return True, evidence


@register(META)
def evaluate(facts: Snapshot):
    return per_container(facts, lambda ctr: judge(facts, ctr))
