"""The daemon logs at a level other than info."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.evidence import SETTING_SOURCE
from hostaudit.model import DAEMON, Result, Snapshot

from ._settings import setting, shown_by_info

META = CheckMeta(
    id="daemon.log_level_not_info",
    title="Docker daemon logs at a level other than info",
    severity=Severity.LOW,
    scope=Scope.DAEMON,
    cis=("2.3",),
    rationale="Below info (warn, error, fatal) the daemon drops the events an investigation needs; debug logs "
              "request details, fills disks and can leak secrets passed through the API.",
    remediation="Remove --debug/-D and --log-level from the daemon's command line and set \"log-level\": \"info\" "
                "(and no \"debug\": true) in daemon.json.",
    needs=("docker_daemon",),
    ansible_key="log_level",
)


@register(META)
def evaluate(facts: Snapshot):
    daemon = facts.docker_daemon
    level = setting(daemon, "log-level", "info")
    debug = setting(daemon, "debug", False, shown_by_info(daemon, "Debug"))
    evidence = {"log-level": level.value, SETTING_SOURCE.name: level.source, "debug": debug.value,
                "debug.source": debug.source, **level.evidence, **debug.evidence}
    if debug.value is True:
        return [Result.failed(DAEMON, {**evidence, "effective": "debug"})]
    if not (level.known and debug.known):
        return [Result.unknown(DAEMON, evidence, level.detail or debug.detail)]
    effective = str(level.value).lower()
    evidence["effective"] = effective
    return [Result.passed(DAEMON, evidence) if effective == "info" else Result.failed(DAEMON, evidence)]
