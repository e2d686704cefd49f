"""What the audit of a host saw, as role variables: the daemon.json the running dockerd reads, its API endpoint, the
sockets and the files whose checks failed. The playbook then fixes those, not the defaults.

The report comes from another host, and the paths in it may have been named by an unprivileged user: each value
must be a plain absolute path (or unix:// URL) of bounded length (`unsafe.path_problem`) before it becomes a role
variable, and it enters the playbook as `!unsafe` data. A refused value is said (`Targets.refused`), never dropped
silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hostaudit.remediation.unsafe import Unsafe, path_problem, shown

DAEMON_JSON_CHECKS = ("files.daemon_json_permissive_mode", "files.daemon_json_wrong_owner")
# failing socket checks -> the group that may use the socket
SOCKET_GROUPS = {"files.docker_sock": "docker", "files.containerd_sock": "root"}
AUDIT_RULE_PREFIX = "host.audit_rule_missing_"
UNIX = "unix://"


@dataclass
class Targets:
    """Role variables aimed at the report's paths (each path taken from it marked `Unsafe`; our own values, such as
    a mode, stay plain so that Ansible types them as it always does), and one line per report value refused."""

    variables: dict[str, Any] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)

    def accept(self, value: Any, what: str) -> Unsafe | None:
        """`value`, marked `Unsafe`, when it is a plain absolute path; else None with the refusal recorded."""
        problem = path_problem(value)
        if problem:
            self.refused.append(f"{what} {shown(value)}: {problem}")
            return None
        return Unsafe(value)


def _file_findings(report: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(check id, status, subject name as the report gives it) of every finding about a file."""
    found = []
    for finding in report.get("findings") or ():
        if isinstance(finding, dict) and isinstance(finding.get("subject"), dict) \
                and finding["subject"].get("kind") == "file":
            found.append((str(finding.get("check_id")), str(finding.get("status")), finding["subject"].get("name")))
    return found


def _accepted(targets: Targets, named: list[tuple[str, Any]], what: str) -> list[tuple[str, str]]:
    """(tag, path) of each named (tag, value) whose value is a plain absolute path; the others are refused."""
    verdict = {value: targets.accept(value, what) for value in dict.fromkeys(v for _, v in named
                                                                              if isinstance(v, str))}
    targets.refused.extend(f"{what} {shown(v)}: {path_problem(v)}" for _, v in named if not isinstance(v, str))
    return [(status, verdict[value]) for status, value in named if isinstance(value, str) and verdict[value]]


def target_variables(report: dict[str, Any]) -> Targets:
    """Role variables aimed at what this host's audit saw (only those the report tells), and what was refused."""
    targets = Targets()
    files = _file_findings(report)
    daemon_json = _accepted(targets, [(s, p) for c, s, p in files if c in DAEMON_JSON_CHECKS], "daemon.json path")
    chosen = sorted({p for s, p in daemon_json if s != "not_applicable"} or {p for _, p in daemon_json})
    if len(chosen) == 1:
        targets.variables["container_hardening_daemon_json_path"] = chosen[0]
    elif chosen:
        targets.refused.append(f"daemon.json path: the report names {len(chosen)} ({', '.join(map(shown, chosen))}),"
                               " none is used (give the right one with --daemon-json)")
    host = report.get("host") if isinstance(report.get("host"), dict) else {}
    endpoint = host.get("docker_endpoint")
    if isinstance(endpoint, str) and endpoint.startswith(UNIX):
        if targets.accept(endpoint.removeprefix(UNIX), "docker endpoint"):
            targets.variables["container_hardening_docker_host"] = Unsafe(endpoint)
    elif endpoint is not None:
        targets.refused.append(f"docker endpoint {shown(endpoint)}: not a unix:// socket (give one with "
                               "--docker-host)")
    sockets: dict[str, str] = {}
    for check, path in _accepted(targets, [(c, p) for c, s, p in files if s == "fail"
                                              and any(c.startswith(prefix + "_") for prefix in SOCKET_GROUPS)],
                                    "socket path"):
        sockets.setdefault(path, next(g for prefix, g in SOCKET_GROUPS.items() if check.startswith(prefix + "_")))
    if sockets:
        targets.variables["container_hardening_docker_socket_permissions_sockets"] = [
            {"path": path, "owner": "root", "group": group, "mode": "0660"} for path, group in sorted(sockets.items())]
    watches = sorted({p for _, p in _accepted(targets, [(s, p) for c, s, p in files
                                                        if c.startswith(AUDIT_RULE_PREFIX) and s == "fail"],
                                              "audit watch path")})
    if watches:
        targets.variables["container_hardening_audit_rules_watches"] = watches
    return targets
