"""Containers may gain privileges unless each one opts out."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.daemon_settings import Shown
from hostaudit.model import Snapshot

from ._settings import bool_setting, info_value

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
    return bool_setting(facts, "no-new-privileges", default=False, risky_when=False, shown=_shown(facts))


def _shown(facts: Snapshot) -> Shown | None:
    """The default as the daemon applied it: NoNewPrivs of the running containers that do not set the option
    themselves (not with live-restore, whose containers may come from an earlier daemon run)."""
    if info_value(facts.docker_daemon, "LiveRestoreEnabled") is not False:
        return None
    seen = {c.name: proc.no_new_privs for c in facts.containers if not c.no_new_privileges
            and (proc := facts.process(c)) is not None and proc.no_new_privs is not None}
    if not seen:
        return None
    off = sorted(name for name, on in seen.items() if not on)
    if off:
        return Shown(False, f"/proc NoNewPrivs 0 in running containers that do not opt in: {', '.join(off[:5])}")
    return Shown(True, f"/proc NoNewPrivs 1 in every running container that does not opt in ({len(seen)})")
