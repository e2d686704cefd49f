"""Experimental daemon features are on."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import DAEMON, Result, Snapshot

from ._settings import evidence_of, setting, shown_by_info, unknown

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
    found = setting(daemon, "experimental", False, shown_by_info(daemon, "ExperimentalBuild"))
    if not found.known:
        return unknown(found, "experimental")
    value = found.value
    evidence = evidence_of(found, "experimental")
    return [Result.failed(DAEMON, evidence) if value is True else Result.passed(DAEMON, evidence)]
