"""CRI plugin settings in containerd's config.toml that weaken pods: one row per setting, each its own check."""

from __future__ import annotations

from typing import NamedTuple

from hostaudit.catalog import CheckMeta, Row, Scope, Severity, register_family
from hostaudit.model import ContainerdInstance, Result, Snapshot, Subject

from ._cri import cri_setting, judged, not_applicable_or_unknown

FAMILY = True


class CriSetting(NamedTuple):
    key: str  # in the CRI plugin's table
    risky: bool  # the value that fails
    defaults: tuple[bool, bool]  # containerd 1.x, 2.x
    on_runtime: bool  # set on the default runtime's table rather than the plugin's
    lsm: str  # the host LSM the setting needs ("" for none)
    title: str
    rationale: str
    remediation: str


ROWS = (
    Row("containerd.apparmor_disabled", Severity.HIGH, CriSetting(
        "disable_apparmor", True, (False, False), False, "apparmor",
        "containerd applies no AppArmor profile to pods",
        "With disable_apparmor the CRI plugin never loads cri-containerd.apparmor.d, so pods run unconfined by "
        "AppArmor even when they ask for RuntimeDefault.",
        "Remove disable_apparmor = true from the CRI plugin's table and restart containerd.")),
    Row("containerd.selinux_disabled", Severity.MEDIUM, CriSetting(
        "enable_selinux", False, (False, False), False, "selinux",
        "containerd does not label pods for SELinux",
        "Without enable_selinux on an SELinux host, pod processes and their files get no container label, so SELinux "
        "does not separate pods from the host or from each other.",
        "Set enable_selinux = true in the CRI plugin's table and restart containerd.")),
    Row("containerd.privileged_gets_host_devices", Severity.MEDIUM, CriSetting(
        "privileged_without_host_devices", False, (False, False), True, "",
        "Privileged pods get every host device",
        "Unless privileged_without_host_devices is set on the runtime, a privileged pod sees all of /dev of the host, "
        "including its disks.",
        "Set privileged_without_host_devices = true on the runtime's options table.")),
    Row("containerd.unprivileged_ports_disabled", Severity.LOW, CriSetting(
        "enable_unprivileged_ports", False, (False, True), False, "",
        "Pods need a capability to listen on ports below 1024",
        "Without enable_unprivileged_ports a pod serving on port 80 or 443 must keep CAP_NET_BIND_SERVICE, or run as "
        "root, instead of dropping ALL capabilities.",
        "Set enable_unprivileged_ports = true in the CRI plugin's table (the default from containerd 2.0).")),
    Row("containerd.unprivileged_icmp_disabled", Severity.LOW, CriSetting(
        "enable_unprivileged_icmp", False, (False, True), False, "",
        "Pods need CAP_NET_RAW to ping",
        "Without enable_unprivileged_icmp, ping in a pod needs CAP_NET_RAW, the capability behind ARP/DNS spoofing "
        "and AF_PACKET kernel bugs, so images keep it.",
        "Set enable_unprivileged_icmp = true in the CRI plugin's table (the default from containerd 2.0).")),
    Row("containerd.device_ownership_from_root", Severity.LOW, CriSetting(
        "device_ownership_from_security_context", False, (False, False), False, "",
        "Devices given to pods stay owned by root",
        "Without device_ownership_from_security_context, devices passed to a pod keep the host's root ownership, so "
        "the pod must run as root to use them.",
        "Set device_ownership_from_security_context = true in the CRI plugin's table.")),
    Row("containerd.oom_score_adj_unrestricted", Severity.INFO, CriSetting(
        "restrict_oom_score_adj", False, (False, False), False, "",
        "Pods may get an OOM score below containerd's",
        "Without restrict_oom_score_adj the kubelet's oom_score_adj values are applied as asked; on a node where "
        "containerd itself is protected, a pod can be made less likely to be killed than the runtime.",
        "Set restrict_oom_score_adj = true where containerd runs rootless or must outlive every pod.")),
)


def _lsm_missing(facts: Snapshot, lsm: str) -> dict | None:
    host = facts.host
    if not lsm or host is None:
        return None
    present = host.apparmor_enabled if lsm == "apparmor" else host.selinux_mode is not None
    return None if present else {"host.lsms": list(host.lsms), f"host.{lsm}": False}


def describe(row: Row[CriSetting]) -> CheckMeta:
    spec = row.spec
    return CheckMeta(id=row.id, title=spec.title, severity=row.severity, scope=Scope.HOST, rationale=spec.rationale,
                     remediation=spec.remediation, needs=("containerd", "host") if spec.lsm else ("containerd",))


def evaluate(spec: CriSetting, facts: Snapshot):
    return [_judge(spec, facts, *instance) for instance in judged(facts)]


def _judge(spec: CriSetting, facts: Snapshot, instance: ContainerdInstance, subject: Subject, named: dict) -> Result:
    """One containerd's result, from its own config.toml and version."""
    early = not_applicable_or_unknown(facts, instance, subject, named)
    if early is not None:
        return early
    missing = _lsm_missing(facts, spec.lsm)
    if missing is not None:
        return Result.not_applicable(subject, {**named, **missing}, f"{spec.lsm} is not enabled on this host")
    value, source = cri_setting(instance, spec.key, spec.defaults, runtime=spec.on_runtime)
    evidence = {**named, f"containerd.{spec.key}": value, "source": source}
    if not isinstance(value, bool):
        return Result.unknown(subject, evidence, "not a boolean")
    return Result.failed(subject, evidence) if value is spec.risky else Result.passed(subject, evidence)


register_family(ROWS, describe, evaluate)
