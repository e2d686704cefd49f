"""Audit watch rules on the files and binaries that control Docker and containerd, one row per object (CIS 1.1.x)."""

from __future__ import annotations

from typing import NamedTuple

from hostaudit.catalog import CheckMeta, Row, Scope, Severity, register_family
from hostaudit.model import HOST, AuditRule, FileStat, Presence, Result, Snapshot

from ..files._select import file_subject, files_in_role

FAMILY = True


class Watched(NamedTuple):
    cis: str
    what: str  # the object, as a title names it
    role: str  # files collector role
    path: str | None = None  # only the file at this path within the role


ROWS = (
    Row("host.audit_rule_missing_dockerd", Severity.LOW, Watched(
        "1.1.3", "the Docker daemon binary", "dockerd_binary")),
    Row("host.audit_rule_missing_run_containerd", Severity.LOW, Watched(
        "1.1.4", "/run/containerd", "containerd_run_dir")),
    Row("host.audit_rule_missing_docker_data_root", Severity.LOW, Watched(
        "1.1.5", "Docker's data root", "docker_data_root")),
    Row("host.audit_rule_missing_etc_docker", Severity.LOW, Watched("1.1.6", "/etc/docker", "docker_config_dir")),
    Row("host.audit_rule_missing_docker_service", Severity.LOW, Watched(
        "1.1.7", "the docker.service unit", "docker_service")),
    Row("host.audit_rule_missing_containerd_sock", Severity.LOW, Watched(
        "1.1.8", "containerd.sock", "containerd_sock")),
    Row("host.audit_rule_missing_docker_socket", Severity.LOW, Watched(
        "1.1.9", "the docker.socket unit", "docker_socket_unit")),
    Row("host.audit_rule_missing_etc_default_docker", Severity.LOW, Watched(
        "1.1.10", "/etc/default/docker", "docker_env_file", "/etc/default/docker")),
    Row("host.audit_rule_missing_daemon_json", Severity.LOW, Watched(
        "1.1.11", "the daemon.json in use", "daemon_json")),
    Row("host.audit_rule_missing_containerd_config", Severity.LOW, Watched(
        "1.1.12", "/etc/containerd/config.toml", "containerd_config")),
    Row("host.audit_rule_missing_etc_sysconfig_docker", Severity.LOW, Watched(
        "1.1.13", "/etc/sysconfig/docker", "docker_env_file", "/etc/sysconfig/docker")),
    Row("host.audit_rule_missing_containerd", Severity.LOW, Watched(
        "1.1.14", "the containerd binary", "containerd_binary")),
    Row("host.audit_rule_missing_containerd_shim", Severity.LOW, Watched(
        "1.1.15", "the containerd-shim binary", "containerd_shim_binary")),
    Row("host.audit_rule_missing_containerd_shim_runc_v1", Severity.LOW, Watched(
        "1.1.16", "the containerd-shim-runc-v1 binary", "containerd_shim_runc_v1_binary")),
    Row("host.audit_rule_missing_containerd_shim_runc_v2", Severity.LOW, Watched(
        "1.1.17", "the containerd-shim-runc-v2 binary", "containerd_shim_runc_v2_binary")),
    Row("host.audit_rule_missing_runc", Severity.LOW, Watched("1.1.18", "the runc binary", "runc_binary")),
)
# roles the files collector records on every run, present or absent: missing from a snapshot means not looked at
ALWAYS_RECORDED = frozenset({
    "dockerd_binary", "containerd_binary", "containerd_shim_binary", "containerd_shim_runc_v1_binary",
    "containerd_shim_runc_v2_binary", "runc_binary", "containerd_run_dir", "docker_config_dir", "docker_env_file",
    "containerd_config",
})
WRITE_OR_EXEC = frozenset("wax")  # a rule with no -p watches everything


def _normal(path: str) -> str:
    return path.rstrip("/") or "/"


def matching_rule(found: FileStat, rules: tuple[AuditRule, ...]) -> AuditRule | None:
    """A watch on exactly this path (or its symlink-free real path) covering writes, attribute changes or
    execution: never a rule on a longer or shorter path that merely contains it."""
    names = {_normal(found.path), *([_normal(found.real_path)] if found.real_path else [])}
    for rule in rules:
        if _normal(rule.path) in names and (not rule.permissions or WRITE_OR_EXEC & set(rule.permissions)):
            return rule
    return None


def judge(facts: Snapshot, found: FileStat) -> Result:
    audit = facts.audit_rules
    subject = file_subject(found)
    evidence: dict = {"rule": None, "audit_rules.source": audit.source, "auditd_running": audit.auditd_running,
                      "presence": found.presence.value}
    if found.real_path:
        evidence["real_path"] = found.real_path
    if found.presence is Presence.ABSENT:
        return Result.not_applicable(subject, evidence, "not on this host")
    rule = matching_rule(found, audit.rules)
    if rule is not None:
        evidence["rule"] = {"path": rule.path, "permissions": rule.permissions, "key": rule.key,
                            "origin": rule.origin}
        if audit.source != "auditctl -l" and not audit.auditd_running:
            return Result.failed(subject, evidence, "the rule is in the rules files but auditd is not running")
        return Result.passed(subject, evidence)
    if audit.unreadable:
        evidence["audit_rules.unreadable"] = list(audit.unreadable)
        return Result.unknown(subject, evidence, "the audit rules could not all be read (run as root)")
    return Result.failed(subject, evidence)


def describe(row: Row[Watched]) -> CheckMeta:
    what = row.spec.what
    return CheckMeta(
        id=row.id,
        title=f"No audit rule watches {what}",
        severity=row.severity,
        scope=Scope.HOST,
        cis=(row.spec.cis,),
        rationale=f"Without an audit watch on {what}, changes to it (a swapped binary, a weakened configuration) "
                  "leave no trace in the audit log.",
        remediation="Add a watch on the path the finding names, e.g. '-w <path> -p wa -k docker' in "
                    "/etc/audit/rules.d/docker.rules, then 'augenrules --load'.",
        needs=("files", "audit_rules"),
        ansible_key="audit_rules",
    )


def evaluate(watched: Watched, facts: Snapshot):
    found = files_in_role(facts, watched.role, watched.path)
    evidence = {"files.role": watched.role, "path": watched.path}
    if not found and watched.role in ALWAYS_RECORDED:
        return [Result.unknown(HOST, evidence, f"the snapshot does not record {watched.what}")]
    if not found:
        return [Result.not_applicable(HOST, evidence, f"{watched.what} is not on this host")]
    return [judge(facts, f) for f in found]


register_family(ROWS, describe, evaluate)
