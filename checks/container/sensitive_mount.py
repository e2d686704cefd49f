"""Container has a sensitive host directory mounted."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Snapshot

from ._mounts import exposes, host_mounts
from ._subjects import per_container

META = CheckMeta(
    id="container.sensitive_mount",
    title="Container has a sensitive host directory mounted",
    severity=Severity.HIGH,
    scope=Scope.CONTAINER,
    cis=("5.6",),
    references=("MITRE ATT&CK T1611",),
    rationale="Host /etc, /proc, /sys, /dev, /boot, /root, runtime state (/var/lib/docker, /var/lib/kubelet) or "
              "/var/log give the container host credentials, kernel knobs or a path to other containers' files.",
    remediation="Remove the mount, or narrow it to the one file the workload needs, read-only.",
    needs=(),
)

SENSITIVE = (
    "/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/home", "/usr", "/lib", "/lib64", "/bin", "/sbin",
    "/lib/modules", "/var/lib/docker", "/var/lib/containerd", "/var/lib/kubelet", "/var/log", "/run", "/var/run",
    "/sys/fs/cgroup", "/etc/kubernetes",
)


def sensitive_hits(ctr) -> list[dict]:
    """Mounts whose source is a sensitive host directory or one of its parents (the host's / counts elsewhere)."""
    hits = []
    for mount in host_mounts(ctr):
        if mount.source.rstrip("/") == "":
            continue
        reached = [path for path in SENSITIVE if exposes(mount, path) or exposes_below(mount, path)]
        if reached:
            hits.append({"source": mount.source, "destination": mount.destination, "rw": mount.rw})
    return hits


def exposes_below(mount, path: str) -> bool:
    """A mount of a path inside a sensitive directory (/etc/shadow, /proc/sys) is sensitive too."""
    return mount.source.rstrip("/").startswith(path + "/")


@register(META)
def evaluate(facts: Snapshot):
    def judge(ctr):
        hits = sensitive_hits(ctr)
        return bool(hits), {"mounts": hits} if hits else {}

    return per_container(facts, judge)
