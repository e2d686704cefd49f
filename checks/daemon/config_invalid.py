"""daemon.json cannot be read or parsed."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import DAEMON, Snapshot

from .._config_file import config_file_result

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
    return [config_file_result(facts.docker_daemon.config, DAEMON,
                               "no daemon.json: defaults and command-line flags apply")]
