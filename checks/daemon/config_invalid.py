"""daemon.json cannot be read or parsed."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import DAEMON, Presence, Result, Snapshot

META = CheckMeta(
    id="daemon.config_invalid",
    title="daemon.json cannot be read or parsed",
    severity=Severity.HIGH,
    scope=Scope.DAEMON,
    rationale="dockerd refuses to start with a malformed daemon.json: the next restart (an upgrade, a reboot) takes "
              "every container down. Its settings also cannot be audited.",
    remediation="Fix the file (validate with 'dockerd --validate --config-file FILE') before the daemon restarts.",
    needs=("docker_daemon",),
)


@register(META)
def evaluate(facts: Snapshot):
    config = facts.docker_daemon.config
    evidence = {"path": config.path, "presence": config.presence.value}
    if config.presence is Presence.ABSENT:
        return [Result.passed(DAEMON, evidence, "no daemon.json: defaults and command-line flags apply")]
    if config.error:
        return [Result.failed(DAEMON, {**evidence, "error": config.error})]
    return [Result.passed(DAEMON, evidence)]
