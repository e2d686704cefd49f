"""Container is given a host device that reaches the host: one row per kind of device, each its own check."""

from __future__ import annotations

from typing import NamedTuple

from hostaudit.catalog import CheckMeta, Row, Scope, Severity, register_family
from hostaudit.model import Snapshot

from ._devices import exposed
from ._subjects import per_container

FAMILY = True


class DeviceKind(NamedTuple):
    kind: str  # as _devices.exposed names it
    title: str
    gives: str  # what the device lets root in the container do


ROWS = (
    Row("container.block_device_exposed", Severity.CRITICAL, DeviceKind(
        "block", "Container is given a host disk device",
        "mount or rewrite the host's filesystems directly, below every file permission")),
    Row("container.memory_device_exposed", Severity.CRITICAL, DeviceKind(
        "memory", "Container is given /dev/mem, /dev/kmem or /dev/port",
        "read and write physical memory or I/O ports: the host kernel itself")),
    Row("container.kmsg_exposed", Severity.MEDIUM, DeviceKind(
        "kmsg", "Container is given /dev/kmsg",
        "read the kernel log, with kernel addresses that defeat KASLR for a kernel exploit, and forge log lines")),
)


def describe(row: Row[DeviceKind]) -> CheckMeta:
    return CheckMeta(
        id=row.id,
        title=row.spec.title,
        severity=row.severity,
        scope=Scope.CONTAINER,
        cis=("5.18",),
        references=("MITRE ATT&CK T1611",),
        rationale=f"A device passed with --device (Kubernetes: a hostPath device) lets root in the container "
                  f"{row.spec.gives}.",
        remediation="Recreate the container without the --device option; give a workload a dedicated volume rather "
                    "than a host disk.",
        needs=(),
    )


def evaluate(device: DeviceKind, facts: Snapshot):
    def judge(ctr):
        found = exposed(ctr, device.kind)
        return bool(found), {"devices": list(ctr.devices), f"devices.{device.kind}": found}

    return per_container(facts, judge)


register_family(ROWS, describe, evaluate)
