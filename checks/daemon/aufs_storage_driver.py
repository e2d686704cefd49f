"""The daemon stores images with the aufs driver."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import DAEMON, Result, Snapshot

from ._settings import evidence_of, setting, shown_by_info, unknown

META = CheckMeta(
    id="daemon.aufs_storage_driver",
    title="Docker daemon uses the aufs storage driver",
    severity=Severity.MEDIUM,
    scope=Scope.DAEMON,
    cis=("2.6",),
    rationale="aufs is out of the mainline kernel, unmaintained and has caused kernel crashes; Docker removed it "
              "in Engine 24.",
    remediation="Move to overlay2: set \"storage-driver\": \"overlay2\" (images must be pulled again).",
    needs=("docker_daemon",),
)


@register(META)
def evaluate(facts: Snapshot):
    daemon = facts.docker_daemon
    found = setting(daemon, "storage-driver", None, shown_by_info(daemon, "Driver"))
    driver = found.value
    evidence = evidence_of(found, "storage-driver")
    if not found.known:
        return unknown(found, "storage-driver")
    if driver is None:
        return [Result.unknown(DAEMON, evidence, "the daemon did not report its storage driver")]
    return [Result.failed(DAEMON, evidence) if driver == "aufs" else Result.passed(DAEMON, evidence)]
