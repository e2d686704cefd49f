"""Kernel filesystems a container can write: one row per mount point, each its own check."""

from __future__ import annotations

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Snapshot

from ._mountns import CGROUPFS, PROC, SYSFS, writable
from ._subjects import per_container

FAMILY = True

# (check id, path in the container, filesystem types, path inside that filesystem, severity, what writing gives)
ROWS = (
    ("container.proc_sys_writable", "/proc/sys", PROC, "/sys", Severity.CRITICAL,
     "set host-wide kernel parameters, among them kernel.core_pattern and kernel.modprobe, whose helper programs "
     "the kernel runs as root on the host"),
    ("container.sysfs_writable", "/sys", SYSFS, None, Severity.CRITICAL,
     "write host kernel and device settings, among them /sys/kernel/uevent_helper, a program the kernel runs as "
     "root on the host"),
    ("container.cgroupfs_writable", "/sys/fs/cgroup", CGROUPFS, None, Severity.HIGH,
     "change its own and (with the host cgroup namespace) other cgroups' limits and device rules; on cgroup v1, "
     "a step towards the release_agent escape"),
)


def _register(check_id: str, path: str, fstypes: tuple[str, ...], fs_path: str | None, severity: Severity,
              gives: str) -> None:
    meta = CheckMeta(
        id=check_id,
        title=f"Container has {path} mounted read-write",
        severity=severity,
        scope=Scope.CONTAINER,
        references=("MITRE ATT&CK T1611", "CVE-2022-0811"),
        rationale=f"Runtimes mount {path} read-only in a container; read-write it lets root in the container "
                  f"{gives}.",
        remediation=f"Recreate the container without --privileged, --security-opt systempaths=unconfined or a "
                    f"read-write mount of {path} (Kubernetes: privileged: false, procMount: Default).",
        needs=(),
    )

    @register(meta)
    def evaluate(facts: Snapshot):
        return per_container(facts, lambda ctr: writable(facts, ctr, path, fstypes, fs_path))


for _row in ROWS:
    _register(*_row)
