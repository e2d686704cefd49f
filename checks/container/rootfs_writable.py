"""Container root filesystem is writable."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Snapshot

from ._subjects import per_container

META = CheckMeta(
    id="container.rootfs_writable",
    title="Container root filesystem is writable",
    severity=Severity.LOW,
    scope=Scope.CONTAINER,
    cis=("5.13",),
    rationale="A writable root filesystem lets an intruder drop tools and persist changes to the image's binaries.",
    remediation="Run with --read-only and mount writable tmpfs/volumes only where needed (Kubernetes: "
                "readOnlyRootFilesystem: true).",
    needs=(),
)


@register(META)
def evaluate(facts: Snapshot):
    return per_container(facts, lambda ctr: (not ctr.readonly_rootfs, {"readonly_rootfs": ctr.readonly_rootfs}))
