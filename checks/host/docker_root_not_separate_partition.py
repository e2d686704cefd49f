"""Docker's data root shares a filesystem with the rest of the host."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import HOST, Result, Snapshot

from ._mounts import mount_holding

META = CheckMeta(
    id="host.docker_root_not_separate_partition",
    title="Docker's data root is not on a partition of its own",
    severity=Severity.LOW,
    scope=Scope.HOST,
    cis=("1.1.1",),
    rationale="Images, container layers, logs and volumes live under the data root: on the root filesystem a "
              "container that fills its layer or logs fills the host's disk and can stop logging and services.",
    remediation="Mount a dedicated filesystem (LVM volume, partition) at Docker's data root (see 'docker info' "
                "DockerRootDir), moving the data while the daemon is stopped. Partitioning is a build-time decision, "
                "so there is no automated fix.",
    needs=("host", "docker_daemon"),
)


@register(META)
def evaluate(facts: Snapshot):
    root = (facts.docker_daemon.info or {}).get("DockerRootDir")
    mounts = facts.host.mounts
    evidence: dict = {"api.docker_root_dir": root}
    if not root or not mounts:
        return [Result.unknown(HOST, evidence, "the data root or the host's mount table is not known")]
    holder = mount_holding(root, mounts)
    slash = mount_holding("/", mounts)
    evidence.update({"mount_point": holder.mount_point, "fstype": holder.fstype, "source": holder.source})
    same_filesystem = holder.mount_point == "/" or (
        slash is not None and holder.source == slash.source and holder.fstype == slash.fstype)
    if same_filesystem:
        detail = "" if holder.mount_point == "/" else "a bind mount of the root filesystem, not a separate one"
        return [Result.failed(HOST, evidence, detail)]
    if holder.mount_point != root.rstrip("/"):
        evidence["partial"] = f"{holder.mount_point} is a separate filesystem, but not the data root's own"
    return [Result.passed(HOST, evidence)]
