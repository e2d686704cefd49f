"""containerd's config.toml cannot be read or parsed."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import HOST, Snapshot

from .._config_file import config_file_result

META = CheckMeta(
    id="containerd.config_invalid",
    title="containerd's config.toml cannot be read or parsed",
    severity=Severity.HIGH,
    scope=Scope.HOST,
    rationale="containerd refuses to start with a malformed config.toml: the next restart takes every pod and "
              "container of the node down. Its CRI settings also cannot be audited.",
    remediation="Fix the file (check it with 'containerd --config FILE config dump') before containerd restarts.",
    needs=("containerd",),
)


@register(META)
def evaluate(facts: Snapshot):
    return [config_file_result(facts.containerd.config, HOST, "no config.toml: containerd's defaults apply")]
