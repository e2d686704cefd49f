"""Every Docker API client has full control: no authorization plugin."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.evidence import SETTING_SOURCE
from hostaudit.model import DAEMON, Result, Snapshot

from ._settings import authorization_setting, unknown

META = CheckMeta(
    id="daemon.no_authorization_plugin",
    title="No authorization plugin limits what API clients may do",
    severity=Severity.LOW,
    scope=Scope.DAEMON,
    cis=("2.12",),
    rationale="Without an authorization plugin every member of the docker group may start privileged containers.",
    remediation="Configure an authorization plugin (authorization-plugins in daemon.json), keeping it and the daemon "
                "patched (CVE-2024-41110).",
    needs=("docker_daemon",),
)


@register(META)
def evaluate(facts: Snapshot):
    daemon = facts.docker_daemon
    found = authorization_setting(daemon)
    if not found.known:
        return unknown(found, "authorization-plugins")
    plugins = ((daemon.info or {}).get("Plugins") or {}).get("Authorization") or []
    evidence = {"api.plugins.authorization": plugins, "configured": found.value, SETTING_SOURCE.name: found.source,
                **found.evidence}
    return [Result.passed(DAEMON, evidence) if found.value else Result.failed(DAEMON, evidence)]
