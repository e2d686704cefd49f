"""Experimental daemon features are on."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import DAEMON, Result, Snapshot

from ._settings import info_value, setting

META = CheckMeta(
    id="daemon.experimental_enabled",
    title="Experimental Docker daemon features are on",
    severity=Severity.LOW,
    scope=Scope.DAEMON,
    cis=("2.18",),
    rationale="Experimental features are not covered by Docker's stability and security guarantees and may "
              "change or disappear between releases.",
    remediation="Remove --experimental from the daemon's command line and \"experimental\": true from "
                "daemon.json.",
    needs=("docker_daemon",),
    ansible_key="experimental",
)


@register(META)
def evaluate(facts: Snapshot):
    daemon = facts.docker_daemon
    value, source = info_value(daemon, "ExperimentalBuild"), "api /info"
    if value is None:
        value, source = setting(daemon, "experimental", False)
    evidence = {"experimental": value, "source": source}
    return [Result.failed(DAEMON, evidence) if value is True else Result.passed(DAEMON, evidence)]
