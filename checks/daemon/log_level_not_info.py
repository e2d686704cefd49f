"""The daemon logs at a level other than info."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import DAEMON, Result, Snapshot

from ._settings import info_value, setting

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
    level, source = setting(daemon, "log-level", "info")
    debug, debug_source = setting(daemon, "debug", False)
    api_debug = info_value(daemon, "Debug")
    effective = "debug" if debug is True or api_debug is True else str(level).lower()
    evidence = {"log-level": level, "source": source, "debug": debug, "debug.source": debug_source,
                "api.debug": api_debug, "effective": effective}
    return [Result.passed(DAEMON, evidence) if effective == "info" else Result.failed(DAEMON, evidence)]
