"""Audit watch rules on the files and binaries that control Docker and containerd, one row per object (CIS 1.1.x)."""

from __future__ import annotations

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import HOST, AuditRule, FileStat, Presence, Result, Snapshot

from ..files._select import file_subject, files_in_role

FAMILY = True

# (CIS id, id slug, what the object is, files role, fixed path within the role or None)
ROWS = (
    ("1.1.3", "dockerd", "the Docker daemon binary", "dockerd_binary", None),
    ("1.1.4", "run_containerd", "/run/containerd", "containerd_run_dir", None),
    ("1.1.5", "docker_data_root", "Docker's data root", "docker_data_root", None),
    ("1.1.6", "etc_docker", "/etc/docker", "docker_config_dir", None),
    ("1.1.7", "docker_service", "the docker.service unit", "docker_service", None),
    ("1.1.8", "containerd_sock", "containerd.sock", "containerd_sock", None),
    ("1.1.9", "docker_socket", "the docker.socket unit", "docker_socket_unit", None),
    ("1.1.10", "etc_default_docker", "/etc/default/docker", "docker_env_file", "/etc/default/docker"),
    ("1.1.11", "daemon_json", "the daemon.json in use", "daemon_json", None),
    ("1.1.12", "containerd_config", "/etc/containerd/config.toml", "containerd_config", None),
    ("1.1.13", "etc_sysconfig_docker", "/etc/sysconfig/docker", "docker_env_file", "/etc/sysconfig/docker"),
    ("1.1.14", "containerd", "the containerd binary", "containerd_binary", None),
    ("1.1.15", "containerd_shim", "the containerd-shim binary", "containerd_shim_binary", None),
    ("1.1.16", "containerd_shim_runc_v1", "the containerd-shim-runc-v1 binary", "containerd_shim_runc_v1_binary",
     None),
    ("1.1.17", "containerd_shim_runc_v2", "the containerd-shim-runc-v2 binary", "containerd_shim_runc_v2_binary",
     None),
    ("1.1.18", "runc", "the runc binary", "runc_binary", None),
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


def _register(cis: str, slug: str, what: str, role: str, path: str | None) -> None:
    meta = CheckMeta(
        id=f"host.audit_rule_missing_{slug}",
        title=f"No audit rule watches {what}",
        severity=Severity.LOW,
        scope=Scope.HOST,
        cis=(cis,),
        rationale=f"Without an audit watch on {what}, changes to it (a swapped binary, a weakened configuration) "
                  "leave no trace in the audit log.",
        remediation="Add a watch on the path the finding names, e.g. '-w <path> -p wa -k docker' in "
                    "/etc/audit/rules.d/docker.rules, then 'augenrules --load'.",
        needs=("files", "audit_rules"),
        ansible_key="audit_rules",
    )

    @register(meta)
    def evaluate(facts: Snapshot):
        found = files_in_role(facts, role, path)
        evidence = {"files.role": role, "path": path}
        if not found and role in ALWAYS_RECORDED:
            return [Result.unknown(HOST, evidence, f"the snapshot does not record {what}")]
        if not found:
            return [Result.not_applicable(HOST, evidence, f"{what} is not on this host")]
        return [judge(facts, f) for f in found]


for _row in ROWS:
    _register(*_row)
