"""Kernel filesystems a container can write: one row per mount point, each its own check."""

from __future__ import annotations

from typing import NamedTuple

from hostaudit.catalog import CheckMeta, Row, Scope, Severity, register_family
from hostaudit.model import Snapshot

from ._mountns import CGROUPFS, PROC, SYSFS, writable
from ._subjects import per_container

FAMILY = True


class KernelFs(NamedTuple):
    path: str  # in the container
    fstypes: tuple[str, ...]
    fs_path: str | None  # the path inside that filesystem, when not its root
    gives: str  # what writing it gives root in the container


ROWS = (
    Row("container.proc_sys_writable", Severity.CRITICAL, KernelFs(
        "/proc/sys", PROC, "/sys",
        "set host-wide kernel parameters, among them kernel.core_pattern and kernel.modprobe, whose helper programs "
        "the kernel runs as root on the host")),
    Row("container.sysfs_writable", Severity.CRITICAL, KernelFs(
        "/sys", SYSFS, None,
        "write host kernel and device settings, among them /sys/kernel/uevent_helper, a program the kernel runs as "
        "root on the host")),
    Row("container.cgroupfs_writable", Severity.HIGH, KernelFs(
        "/sys/fs/cgroup", CGROUPFS, None,
        "change its own and (with the host cgroup namespace) other cgroups' limits and device rules; on cgroup v1, "
        "a step towards the release_agent escape")),
)


def describe(row: Row[KernelFs]) -> CheckMeta:
    path = row.spec.path
    return CheckMeta(
        id=row.id,
        title=f"Container has {path} mounted read-write",
        severity=row.severity,
        scope=Scope.CONTAINER,
        references=("MITRE ATT&CK T1611", "CVE-2022-0811"),
        rationale=f"Runtimes mount {path} read-only in a container; read-write it lets root in the container "
                  f"{row.spec.gives}.",
        remediation=f"Recreate the container without --privileged, --security-opt systempaths=unconfined or a "
                    f"read-write mount of {path} (Kubernetes: privileged: false, procMount: Default).",
        needs=(),
    )


def evaluate(fs: KernelFs, facts: Snapshot):
    return per_container(facts, lambda ctr: writable(facts, ctr, fs.path, fs.fstypes, fs.fs_path))


register_family(ROWS, describe, evaluate)
