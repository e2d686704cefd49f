"""Container can set a program the host kernel runs as root."""

from typing import Any

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Container, Snapshot

from ._effective import runs_as_root, shares_host_namespace
from ._mountns import BINFMT, PROC, SYSFS, writable, writable_places
from ._subjects import Judgement, per_container

META = CheckMeta(
    id="container.usermode_helper_writable",
    title="Container can set a program the host kernel runs as root",
    severity=Severity.CRITICAL,
    scope=Scope.CONTAINER,
    references=("MITRE ATT&CK T1611", "CVE-2022-0811"),
    rationale="With /proc/sys or /sys writable, or binfmt_misc mounted read-write, root in the container can point "
              "kernel.core_pattern (a pipe), kernel.modprobe, /sys/kernel/uevent_helper or a binfmt_misc "
              "interpreter at a file of its own; the kernel then runs it as root in the host's namespaces.",
    remediation="Recreate the container with /proc/sys and /sys read-only and without binfmt_misc (no --privileged, "
                "no systempaths=unconfined, no read-write host /proc or /sys mounts), and run it as non-root.",
    needs=("host",),
)

# (helper, container path of its filesystem, filesystem types, path inside that filesystem)
HELPERS = (
    ("kernel.core_pattern", "/proc/sys", PROC, "/sys/kernel/core_pattern"),
    ("kernel.modprobe", "/proc/sys", PROC, "/sys/kernel/modprobe"),
    ("uevent_helper", "/sys", SYSFS, "/kernel/uevent_helper"),
)


def judge(facts: Snapshot, ctr: Container) -> Judgement:
    core_pattern = facts.host.sysctls.get("kernel.core_pattern") if facts.host else None
    evidence: dict[str, Any] = {"host.kernel.core_pattern": core_pattern,
                                "host.core_pattern_pipes": core_pattern.startswith("|") if core_pattern else None}
    reachable = [helper for helper, path, fstypes, fs_path in HELPERS
                 if writable(facts, ctr, path, fstypes, fs_path)[0]]
    if writable_places(facts, ctr, BINFMT):
        reachable.append("binfmt_misc register")
    evidence["helpers_writable"] = reachable
    if not reachable:
        return False, evidence
    root, root_evidence = runs_as_root(facts, ctr)
    userns_host, userns_evidence = shares_host_namespace(facts, ctr, "user")
    evidence |= root_evidence | userns_evidence
    if userns_host is False:
        return False, evidence  # root of a private user namespace does not own the host's sysctls
    return root, evidence


@register(META)
def evaluate(facts: Snapshot):
    return per_container(facts, lambda ctr: judge(facts, ctr))
