"""Container logs stay on this host only."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import DAEMON, Result, Snapshot

from ._settings import evidence_of, setting, shown_by_info, unknown

META = CheckMeta(
    id="daemon.logs_kept_local",
    title="Container logs stay on this host only (no remote logging)",
    severity=Severity.LOW,
    scope=Scope.DAEMON,
    cis=("2.13",),
    rationale="Logs kept only on the host (json-file, local) are lost with it and can be erased by whoever "
              "escapes a container onto it; a remote log keeps the trail.",
    remediation="Choose a logging driver that ships logs off the host (syslog, journald with forwarding, fluentd, "
                "gelf, a cloud driver) in \"log-driver\", or collect the json-file logs with an agent. Which "
                "destination fits is a site decision.",
    needs=("docker_daemon",),
)
LOCAL_DRIVERS = frozenset({"json-file", "local", "none"})


@register(META)
def evaluate(facts: Snapshot):
    daemon = facts.docker_daemon
    found = setting(daemon, "log-driver", "json-file", shown_by_info(daemon, "LoggingDriver"))
    if not found.known:
        return unknown(found, "log-driver")
    driver = found.value
    evidence = evidence_of(found, "log-driver")
    return [Result.failed(DAEMON, evidence) if driver in LOCAL_DRIVERS else Result.passed(DAEMON, evidence)]
