"""Containers may gain privileges unless each one opts out."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Snapshot

from ._settings import bool_setting

META = CheckMeta(
    id="daemon.no_new_privileges_default_off",
    title="no-new-privileges is not the daemon default",
    severity=Severity.LOW,
    scope=Scope.DAEMON,
    cis=("2.14",),
    rationale="With no-new-privileges as the default, setuid binaries cannot regain privileges in any container "
              "that does not explicitly opt out.",
    remediation="Set \"no-new-privileges\": true in daemon.json.",
    needs=("docker_daemon",),
    ansible_key="no_new_privileges",
)


@register(META)
def evaluate(facts: Snapshot):
    return bool_setting(facts, "no-new-privileges", default=False, risky_when=False)
