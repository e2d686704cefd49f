"""The devicemapper base device size was changed."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import DAEMON, Result, Snapshot

from ._settings import info_value, setting, values_setting

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
    driver = info_value(daemon, "Driver") or setting(daemon, "storage-driver", None)[0]
    options, source = values_setting(daemon, "storage-opt", "storage-opts")
    basesize = [o for o in options if str(o).replace(" ", "").startswith("dm.basesize")]
    evidence = {"storage-driver": driver, "storage-opts": options, "source": source}
    if driver != "devicemapper":
        return [Result.not_applicable(DAEMON, evidence, "the storage driver is not devicemapper")]
    return [Result.failed(DAEMON, {**evidence, "dm.basesize": basesize}) if basesize
            else Result.passed(DAEMON, evidence)]
