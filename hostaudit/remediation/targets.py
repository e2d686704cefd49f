"""What the audit of a host saw, as role variables: the daemon.json the running dockerd reads, its API endpoint, the
sockets and the files whose checks failed. The playbook then fixes those, not the defaults.

The report comes from another host: every value is checked to be a plain absolute path (or unix:// URL) of
bounded length before it becomes a role variable.
"""

from __future__ import annotations

from typing import Any

MAX_PATH = 4096
DAEMON_JSON_CHECKS = ("files.daemon_json_permissive_mode", "files.daemon_json_wrong_owner")
# failing socket checks -> the group that may use the socket
SOCKET_GROUPS = {"files.docker_sock": "docker", "files.containerd_sock": "root"}
AUDIT_RULE_PREFIX = "host.audit_rule_missing_"


def _path(value: Any) -> str | None:
    """`value` when it is an absolute path without control characters, else None."""
    if not isinstance(value, str) or not value.startswith("/") or len(value) > MAX_PATH:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return None
    return value


def _file_findings(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(check id, status, path) of every finding about a file."""
    found = []
    for finding in report.get("findings") or ():
        if not isinstance(finding, dict) or not isinstance(finding.get("subject"), dict):
            continue
        subject = finding["subject"]
        path = _path(subject.get("name"))
        if subject.get("kind") == "file" and path:
            found.append((str(finding.get("check_id")), str(finding.get("status")), path))
    return found


def target_variables(report: dict[str, Any]) -> dict[str, Any]:
    """Role variables aimed at what this host's audit saw (only those the report tells)."""
    variables: dict[str, Any] = {}
    files = _file_findings(report)
    daemon_json = sorted({path for check, status, path in files if check in DAEMON_JSON_CHECKS
                          and status != "not_applicable"} or
                         {path for check, _, path in files if check in DAEMON_JSON_CHECKS})
    if len(daemon_json) == 1:
        variables["container_hardening_daemon_json_path"] = daemon_json[0]
    host = report.get("host") if isinstance(report.get("host"), dict) else {}
    endpoint = host.get("docker_endpoint")
    if isinstance(endpoint, str) and endpoint.startswith("unix://") and _path(endpoint.removeprefix("unix://")):
        variables["container_hardening_docker_host"] = endpoint
    sockets: dict[str, str] = {}
    for check, status, path in files:
        group = next((g for prefix, g in SOCKET_GROUPS.items() if check.startswith(prefix + "_")), None)
        if group and status == "fail":
            sockets.setdefault(path, group)
    if sockets:
        variables["container_hardening_docker_socket_permissions_sockets"] = [
            {"path": path, "owner": "root", "group": group, "mode": "0660"} for path, group in sorted(sockets.items())]
    watches = sorted({path for check, status, path in files if check.startswith(AUDIT_RULE_PREFIX)
                      and status == "fail"})
    if watches:
        variables["container_hardening_audit_rules_watches"] = watches
    return variables
