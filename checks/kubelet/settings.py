"""Kubelet settings that weaken the node: one row per setting, each its own check.

A command-line flag wins over the --config file, which wins over the default; the defaults differ between the two
(an unset flag without --config keeps the old insecure flag defaults, KubeletConfiguration v1beta1 has safer ones).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from hostaudit.catalog import CheckMeta, Row, Scope, Severity, register_family
from hostaudit.daemon_settings import DaemonView
from hostaudit.model import HOST, KubeletFacts, Result, Snapshot

FAMILY = True


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "false", "0"):
        return value.lower() in ("true", "1")
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(str(value))
    except ValueError:
        return None


def _always_allow(value: Any) -> bool | None:
    """The authorization mode lets every authenticated (or anonymous) request through."""
    return value == "AlwaysAllow" if isinstance(value, str) else None


def _port_open(value: Any) -> bool | None:
    port = _int(value)
    return None if port is None else port != 0


def _off(value: Any) -> bool | None:
    flag = _bool(value)
    return None if flag is None else not flag


class KubeletSetting(NamedTuple):
    flag: str  # the command-line flag, without --
    path: tuple[str, ...]  # in the KubeletConfiguration file
    flag_default: Any  # without --config
    config_default: Any  # with --config
    risky: Callable[[Any], bool | None]  # True when the value weakens the node, None when it is not understood
    title: str
    rationale: str
    remediation: str


ROWS = (
    Row("kubelet.anonymous_auth_enabled", Severity.HIGH, KubeletSetting(
        "anonymous-auth", ("authentication", "anonymous", "enabled"), "true", False, _bool,
        "Kubelet API accepts anonymous requests",
        "Anonymous requests to the kubelet API on port 10250 are served as system:anonymous; with a permissive "
        "authorizer that is exec into every pod on the node.",
        "Set authentication.anonymous.enabled: false (or --anonymous-auth=false) and restart the kubelet.")),
    Row("kubelet.authorization_always_allow", Severity.CRITICAL, KubeletSetting(
        "authorization-mode", ("authorization", "mode"), "AlwaysAllow", "Webhook", _always_allow,
        "Kubelet API authorizes every request",
        "With AlwaysAllow any client that reaches port 10250 may list pods, read logs and exec into containers.",
        "Set authorization.mode: Webhook (or --authorization-mode=Webhook) so the API server decides.")),
    Row("kubelet.read_only_port_open", Severity.MEDIUM, KubeletSetting(
        "read-only-port", ("readOnlyPort",), "10255", 0, _port_open,
        "Kubelet serves its unauthenticated read-only port",
        "The read-only port (10255) serves pod specs, environment and node metrics to anyone with no authentication.",
        "Set readOnlyPort: 0 (or --read-only-port=0).")),
    Row("kubelet.protect_kernel_defaults_off", Severity.LOW, KubeletSetting(
        "protect-kernel-defaults", ("protectKernelDefaults",), "false", False, _off,
        "Kubelet does not protect the kernel's tunables",
        "Without protectKernelDefaults the kubelet silently changes kernel sysctls it dislikes instead of refusing "
        "to start, so hardened sysctl values can be undone.",
        "Set protectKernelDefaults: true after setting the sysctls the kubelet needs (vm.overcommit_memory=1, "
        "kernel.panic=10, kernel.panic_on_oops=1).")),
    Row("kubelet.seccomp_default_off", Severity.MEDIUM, KubeletSetting(
        "seccomp-default", ("seccompDefault",), "false", False, _off,
        "Pods without a seccomp profile run unconfined",
        "Without seccompDefault a pod that names no seccompProfile runs with no syscall filter at all.",
        "Set seccompDefault: true (or --seccomp-default) so RuntimeDefault applies when a pod names none.")),
    Row("kubelet.rotate_certificates_off", Severity.LOW, KubeletSetting(
        "rotate-certificates", ("rotateCertificates",), "false", False, _off,
        "Kubelet client certificate is not rotated",
        "A kubelet certificate that is never rotated stays valid until it expires, long after a node compromise.",
        "Set rotateCertificates: true (or --rotate-certificates).")),
)


def setting(kubelet: KubeletFacts, flag: str, path: tuple[str, ...], flag_default: Any, config_default: Any
            ) -> tuple[Any, str, str | None]:
    """(value, where it came from, why it cannot be told): the flag, else the --config file, else the default."""
    if flag in kubelet.flags:
        return kubelet.flags[flag], f"argv --{flag}", None
    if kubelet.config is None:
        return flag_default, "flag default (no --config)", None
    if kubelet.config.data is None:
        return None, kubelet.config.path, kubelet.config.error or f"{kubelet.config.path}: {kubelet.config.presence}"
    daemon = DaemonView("kubelet", "--config", {}, kubelet.config, kubelet.started_at)
    if daemon.file_changed:
        return None, kubelet.config.path, daemon.not_in_force()
    node: Any = kubelet.config.data
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    if node is None:
        return config_default, f"KubeletConfiguration default ({kubelet.config.path})", None
    return node, f"{kubelet.config.path}: {'.'.join(path)}", None


def describe(row: Row[KubeletSetting]) -> CheckMeta:
    spec = row.spec
    return CheckMeta(id=row.id, title=spec.title, severity=row.severity, scope=Scope.HOST, rationale=spec.rationale,
                     remediation=spec.remediation, needs=("kubelet",), references=("CIS Kubernetes Benchmark 4.2",))


def evaluate(spec: KubeletSetting, facts: Snapshot):
    value, source, problem = setting(facts.kubelet, spec.flag, spec.path, spec.flag_default, spec.config_default)
    evidence = {"kubelet." + ".".join(spec.path): value, "source": source}
    if problem is not None:
        return [Result.unknown(HOST, {**evidence, "error": problem}, problem)]
    verdict = spec.risky(value)
    if verdict is None:
        return [Result.unknown(HOST, evidence, "unrecognised value")]
    return [Result.failed(HOST, evidence) if verdict else Result.passed(HOST, evidence)]


register_family(ROWS, describe, evaluate)
