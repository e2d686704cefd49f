"""Containers on the default bridge can talk to each other."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Snapshot

from ._settings import bool_setting

META = CheckMeta(
    id="daemon.icc_enabled",
    title="Containers on the default bridge can talk to each other",
    severity=Severity.MEDIUM,
    scope=Scope.DAEMON,
    cis=("2.2",),
    rationale="With inter-container communication on, a compromised container reaches every other container's "
              "ports on the default bridge, including ones never published.",
    remediation="Set \"icc\": false in daemon.json and use user-defined networks for containers that must talk.",
    needs=("docker_daemon",),
    ansible_key="icc",
)


@register(META)
def evaluate(facts: Snapshot):
    return bool_setting(facts, "icc", default=True, risky_when=True)
