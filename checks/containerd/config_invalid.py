"""containerd's config.toml cannot be read or parsed."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import HOST, Presence, Result, Snapshot

from ._cri import containerd_absent

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
    absent = containerd_absent(facts)
    if absent is not None:
        return [absent]
    config = facts.containerd.config
    evidence = {"path": config.path, "presence": config.presence.value}
    if config.presence is Presence.ABSENT:
        return [Result.passed(HOST, evidence, "no config.toml: containerd's defaults apply")]
    if config.presence is Presence.UNREADABLE:
        return [Result.unknown(HOST, {**evidence, "error": config.error}, "config.toml cannot be read")]
    if config.error:
        return [Result.failed(HOST, {**evidence, "error": config.error})]
    return [Result.passed(HOST, evidence)]
