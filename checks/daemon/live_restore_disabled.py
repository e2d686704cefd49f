"""Containers stop whenever the Docker daemon restarts."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.evidence import SETTING_SOURCE
from hostaudit.model import DAEMON, Result, Snapshot

from ._settings import setting, shown_by_info, unknown

META = CheckMeta(
    id="daemon.live_restore_disabled",
    title="Containers stop whenever the Docker daemon restarts",
    severity=Severity.LOW,
    scope=Scope.DAEMON,
    cis=("2.15",),
    rationale="Without live-restore every daemon upgrade or restart (including applying hardening) takes all "
              "containers down, which discourages patching the daemon.",
    remediation="Set \"live-restore\": true in daemon.json (not compatible with swarm mode).",
    needs=("docker_daemon",),
    ansible_key="live_restore",
)


@register(META)
def evaluate(facts: Snapshot):
    daemon = facts.docker_daemon
    info = daemon.info or {}
    found = setting(daemon, "live-restore", False, shown_by_info(daemon, "LiveRestoreEnabled"))
    swarm = (info.get("Swarm") or {}).get("LocalNodeState") == "active"
    if not found.known:
        return unknown(found, "live-restore", {"swarm_active": swarm})
    value = found.value is True
    evidence = {"live-restore": value, SETTING_SOURCE.name: found.source, **found.evidence, "swarm_active": swarm}
    if swarm:
        return [Result.not_applicable(DAEMON, evidence, "live-restore is not supported in swarm mode")]
    return [Result.passed(DAEMON, evidence) if value else Result.failed(DAEMON, evidence)]
