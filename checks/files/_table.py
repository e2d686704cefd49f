"""The CIS section 3 table: which file, who should own it, and the widest mode it may have."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hostaudit.model import HOST, FileStat, Presence, Result, Snapshot

from ._select import file_subject, files_in_role


@dataclass(frozen=True)
class RuntimeFile:
    what: str
    role: str  # files collector role
    owner_cis: str
    mode_cis: str
    allowed_mode: int
    path: str | None = None  # only the file at this path within the role
    groups: tuple[str, ...] = ("root",)  # group names allowed besides gid 0
    ansible_key: str = "docker_file_permissions"


SOCKET_KEY = "docker_socket_permissions"
DOCKER_SERVICE = RuntimeFile("docker.service", "docker_service", "3.1", "3.2", 0o644)
DOCKER_SOCKET_UNIT = RuntimeFile("docker.socket", "docker_socket_unit", "3.3", "3.4", 0o644)
ETC_DOCKER = RuntimeFile("/etc/docker", "docker_config_dir", "3.5", "3.6", 0o755)
REGISTRY_CERTS = RuntimeFile("A registry certificate file", "registry_cert", "3.7", "3.8", 0o444)
TLS_CA_CERT = RuntimeFile("The daemon's TLS CA certificate", "tlscacert", "3.9", "3.10", 0o444)
TLS_SERVER_CERT = RuntimeFile("The daemon's TLS certificate", "tlscert", "3.11", "3.12", 0o444)
TLS_SERVER_KEY = RuntimeFile("The daemon's TLS key", "tlskey", "3.13", "3.14", 0o400)
DOCKER_SOCK = RuntimeFile("docker.sock", "docker_sock", "3.15", "3.16", 0o660, groups=("root", "docker"),
                          ansible_key=SOCKET_KEY)
DAEMON_JSON = RuntimeFile("daemon.json", "daemon_json", "3.17", "3.18", 0o644)
ETC_DEFAULT_DOCKER = RuntimeFile("/etc/default/docker", "docker_env_file", "3.19", "3.20", 0o644,
                                 path="/etc/default/docker")
ETC_SYSCONFIG_DOCKER = RuntimeFile("/etc/sysconfig/docker", "docker_env_file", "3.22", "3.21", 0o644,
                                   path="/etc/sysconfig/docker")
CONTAINERD_SOCK = RuntimeFile("containerd.sock", "containerd_sock", "3.23", "3.24", 0o660, ansible_key=SOCKET_KEY)
# the rows of both families, ownership and permissions
FILES = (DOCKER_SERVICE, DOCKER_SOCKET_UNIT, ETC_DOCKER, REGISTRY_CERTS, TLS_CA_CERT, TLS_SERVER_CERT, TLS_SERVER_KEY,
         DOCKER_SOCK, DAEMON_JSON, ETC_DEFAULT_DOCKER, ETC_SYSCONFIG_DOCKER, CONTAINERD_SOCK)

Judge = Callable[[FileStat, dict], bool]  # True when the risky condition holds


def evaluate_file(facts: Snapshot, file: RuntimeFile, judge: Judge) -> list[Result]:
    """One result per recorded file of `file`'s role (and path): fail when `judge` says the condition holds; absent
    files are not_applicable, files that could not be looked at unknown."""
    found = files_in_role(facts, file.role, file.path)
    if not found:
        return [Result.not_applicable(HOST, {"files.role": file.role}, "no such file is configured on this host")]
    results = []
    for stat in found:
        subject = file_subject(stat)  # the subject names the path; evidence holds what decided
        if stat.presence is Presence.ABSENT:
            results.append(Result.not_applicable(subject, {"presence": "absent"}, "not on this host"))
        elif stat.presence is Presence.UNREADABLE or stat.mode is None:
            results.append(Result.unknown(subject, {"presence": stat.presence.value, "error": stat.error}))
        else:
            evidence: dict = {}
            failing = judge(stat, evidence)
            results.append(Result.failed(subject, evidence) if failing else Result.passed(subject, evidence))
    return results
