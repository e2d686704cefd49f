"""The devicemapper base device size was changed."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.evidence import SETTING_SOURCE
from hostaudit.model import DAEMON, Result, Snapshot

from ._settings import setting, shown_by_info, values_setting

META = CheckMeta(
    id="daemon.dm_basesize_changed",
    title="devicemapper base device size was changed",
    severity=Severity.LOW,
    scope=Scope.DAEMON,
    cis=("2.11",),
    rationale="A larger dm.basesize lets each container fill more of the thin pool, so one container can starve "
              "the others of storage.",
    remediation="Remove dm.basesize from --storage-opt / \"storage-opts\" unless it is needed (devicemapper is "
                "itself removed in Engine 25: plan a move to overlay2).",
    needs=("docker_daemon",),
)


@register(META)
def evaluate(facts: Snapshot):
    daemon = facts.docker_daemon
    driver = setting(daemon, "storage-driver", None, shown_by_info(daemon, "Driver")).value
    found = values_setting(daemon, "storage-opt", "storage-opts")
    options = found.value
    basesize = [o for o in options if str(o).replace(" ", "").startswith("dm.basesize")]
    evidence = {"storage-driver": driver, "storage-opts": options, SETTING_SOURCE.name: found.source, **found.evidence}
    if driver != "devicemapper":
        return [Result.not_applicable(DAEMON, evidence, "the storage driver is not devicemapper")]
    if not found.known:
        return [Result.unknown(DAEMON, evidence, found.detail)]
    return [Result.failed(DAEMON, {**evidence, "dm.basesize": basesize}) if basesize
            else Result.passed(DAEMON, evidence)]
