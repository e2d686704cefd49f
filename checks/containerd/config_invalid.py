"""containerd's config.toml cannot be read or parsed."""

import dataclasses

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Snapshot

from .._config_file import config_file_result
from ._cri import judged

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
    results = []
    for instance, subject, named in judged(facts):
        result = config_file_result(instance.config, subject, "no config.toml: containerd's defaults apply")
        results.append(dataclasses.replace(result, evidence={**named, **result.evidence}))
    return results
