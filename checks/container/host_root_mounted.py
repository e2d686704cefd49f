"""Container has the host's root filesystem mounted."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.evidence import MOUNT_DESTINATION, MOUNT_RW, MOUNT_SOURCE
from hostaudit.model import Snapshot

from ._mounts import host_mounts
from ._subjects import per_container

META = CheckMeta(
    id="container.host_root_mounted",
    title="Container has the host's root filesystem mounted",
    severity=Severity.CRITICAL,
    scope=Scope.CONTAINER,
    cis=("5.6",),
    references=("MITRE ATT&CK T1611",),
    rationale="With the host's / mounted, root in the container reads and (read-write) rewrites every host file: "
              "/etc/shadow, cron, systemd units, the Docker socket.",
    remediation="Remove the bind mount of /; mount only the specific directory the workload needs, read-only.",
    needs=(),
)


@register(META)
def evaluate(facts: Snapshot):
    def judge(ctr):
        roots = [m for m in host_mounts(ctr) if m.source.rstrip("/") == ""]
        if not roots:
            return False, {}
        root = roots[0]
        return True, {MOUNT_SOURCE.name: root.source, MOUNT_DESTINATION.name: root.destination, MOUNT_RW.name: root.rw}

    return per_container(facts, judge)
