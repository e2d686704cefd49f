"""Container is given a host device that reaches the host: one row per kind of device, each its own check."""

from __future__ import annotations

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Snapshot

from ._devices import exposed
from ._subjects import per_container

FAMILY = True

# (check id, device kind, title, severity, what the device gives)
ROWS = (
    ("container.block_device_exposed", "block", "Container is given a host disk device", Severity.CRITICAL,
     "mount or rewrite the host's filesystems directly, below every file permission"),
    ("container.memory_device_exposed", "memory", "Container is given /dev/mem, /dev/kmem or /dev/port",
     Severity.CRITICAL, "read and write physical memory or I/O ports: the host kernel itself"),
    ("container.kmsg_exposed", "kmsg", "Container is given /dev/kmsg", Severity.MEDIUM,
     "read the kernel log, with kernel addresses that defeat KASLR for a kernel exploit, and forge log lines"),
)


def _register(check_id: str, kind: str, title: str, severity: Severity, gives: str) -> None:
    meta = CheckMeta(
        id=check_id,
        title=title,
        severity=severity,
        scope=Scope.CONTAINER,
        cis=("5.18",),
        references=("MITRE ATT&CK T1611",),
        rationale=f"A device passed with --device (Kubernetes: a hostPath device) lets root in the container {gives}.",
        remediation="Recreate the container without the --device option; give a workload a dedicated volume rather "
                    "than a host disk.",
        needs=(),
    )

    @register(meta)
    def evaluate(facts: Snapshot):
        def judge(ctr):
            found = exposed(ctr, kind)
            return bool(found), {"devices": list(ctr.devices), f"devices.{kind}": found}

        return per_container(facts, judge)


for _row in ROWS:
    _register(*_row)
