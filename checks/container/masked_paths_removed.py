"""Container sees the /proc and /sys paths runtimes mask."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Container, Snapshot

from ._subjects import Judgement, per_container

META = CheckMeta(
    id="container.masked_paths_removed",
    title="Container sees the /proc and /sys paths runtimes mask",
    severity=Severity.HIGH,
    scope=Scope.CONTAINER,
    references=("MITRE ATT&CK T1611", "CVE-2022-0811"),
    rationale="Runtimes hide /proc/kcore, /proc/keys, /proc/timer_list, /proc/sched_debug, /sys/firmware and more "
              "behind empty mounts. Without them (--privileged, --security-opt systempaths=unconfined, an empty "
              "maskedPaths) the container reads kernel memory and host-wide kernel state.",
    remediation="Recreate the container without --privileged or systempaths=unconfined (Kubernetes: procMount: "
                "Default, privileged: false).",
    needs=(),
)

# Paths every runtime masks when it masks anything; their mounts show in the container's mountinfo.
MASKED = ("/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
          "/proc/sched_debug", "/proc/scsi", "/sys/firmware")


def judge(facts: Snapshot, ctr: Container) -> Judgement:
    declared = list(ctr.masked_paths) if ctr.masked_paths is not None else None
    evidence = {"masked_paths.declared": declared, "privileged.declared": ctr.privileged}
    proc = facts.process(ctr)
    if proc is not None and proc.mounts:
        seen = sorted({m.mount_point for m in proc.mounts if m.mount_point in MASKED})
        evidence["masked_paths.mountinfo"] = seen
        return not seen, evidence
    return not declared, evidence


@register(META)
def evaluate(facts: Snapshot):
    return per_container(facts, lambda ctr: judge(facts, ctr))
