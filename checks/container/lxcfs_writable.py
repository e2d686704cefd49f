"""Container has an lxcfs mount read-write."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Container, Snapshot

from ._mounts import exposes, host_mounts
from ._subjects import Judgement, per_container

META = CheckMeta(
    id="container.lxcfs_writable",
    title="Container has an lxcfs mount read-write",
    severity=Severity.CRITICAL,
    scope=Scope.CONTAINER,
    references=("MITRE ATT&CK T1611",),
    rationale="lxcfs serves its cgroup view from the host; mounted read-write, root in the container can rewrite "
              "its devices cgroup through it (allow every device) and then open the host's disks.",
    remediation="Mount lxcfs files read-only (-v /var/lib/lxcfs/proc/meminfo:/proc/meminfo:ro ...).",
    needs=(),
)

LXCFS = "/var/lib/lxcfs"


def judge(facts: Snapshot, ctr: Container, host_lxcfs: bool) -> Judgement:
    """`host_lxcfs`: whether the host runs lxcfs (a host fact: its mount table grows with the containers, so it is
    read once per audit, not once per container)."""
    # a mount of / or /var exposes lxcfs only where the host runs it; a mount of lxcfs files is one by itself
    declared = [m.source for m in host_mounts(ctr) if m.rw and (
        m.source.startswith(LXCFS + "/") or m.source.rstrip("/") == LXCFS or (host_lxcfs and exposes(m, LXCFS)))]
    evidence = {"lxcfs.declared_rw": declared, "host.lxcfs_mounted": host_lxcfs}
    proc = facts.process(ctr)
    if proc is not None and proc.mounts:
        effective = [m.mount_point for m in proc.mounts if m.fstype == "fuse.lxcfs" and m.rw]
        evidence["lxcfs.mountinfo_rw"] = effective
        return bool(effective), evidence
    return bool(declared), evidence


@register(META)
def evaluate(facts: Snapshot):
    host_lxcfs = facts.host is not None and any(m.fstype == "fuse.lxcfs" for m in facts.host.mounts)
    return per_container(facts, lambda ctr: judge(facts, ctr, host_lxcfs))
