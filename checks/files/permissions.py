"""Modes of the files that control the runtime (CIS 3.2, 3.4, ... 3.24): one row per file."""

from __future__ import annotations

from hostaudit.catalog import CheckMeta, Row, Scope, Severity, register_family
from hostaudit.model import FileStat, Snapshot

from . import _table as table
from ._table import RuntimeFile, evaluate_file

FAMILY = True

ROWS = (
    Row("files.docker_service_permissive_mode", Severity.LOW, table.DOCKER_SERVICE),
    Row("files.docker_socket_unit_permissive_mode", Severity.LOW, table.DOCKER_SOCKET_UNIT),
    Row("files.etc_docker_permissive_mode", Severity.LOW, table.ETC_DOCKER),
    Row("files.registry_certs_permissive_mode", Severity.LOW, table.REGISTRY_CERTS),
    Row("files.tls_ca_cert_permissive_mode", Severity.LOW, table.TLS_CA_CERT),
    Row("files.tls_server_cert_permissive_mode", Severity.LOW, table.TLS_SERVER_CERT),
    Row("files.tls_server_key_permissive_mode", Severity.LOW, table.TLS_SERVER_KEY),
    Row("files.docker_sock_permissive_mode", Severity.HIGH, table.DOCKER_SOCK),
    Row("files.daemon_json_permissive_mode", Severity.LOW, table.DAEMON_JSON),
    Row("files.etc_default_docker_permissive_mode", Severity.LOW, table.ETC_DEFAULT_DOCKER),
    Row("files.etc_sysconfig_docker_permissive_mode", Severity.LOW, table.ETC_SYSCONFIG_DOCKER),
    Row("files.containerd_sock_permissive_mode", Severity.HIGH, table.CONTAINERD_SOCK),
)


def excess_bits(mode: int, allowed: int) -> int:
    """Permission bits set beyond `allowed`, setuid/setgid/sticky included (an octal mask, never a decimal
    comparison: 0606 exceeds 0660)."""
    return mode & 0o7777 & ~allowed


def describe(row: Row[RuntimeFile]) -> CheckMeta:
    file = row.spec
    allowed = f"{file.allowed_mode:04o}"
    return CheckMeta(
        id=row.id,
        title=f"{file.what} has a mode wider than {allowed}",
        severity=row.severity,
        scope=Scope.HOST,
        cis=(file.mode_cis,),
        rationale=f"Permission bits beyond {allowed} on {file.what} let other users read secrets or change "
                  "what the daemon trusts or runs; on a socket, any local user who can write to it is root.",
        remediation=f"chmod {allowed} (or narrower) on the file the finding names.",
        needs=("files",),
        ansible_key=file.ansible_key,
    )


def evaluate(file: RuntimeFile, facts: Snapshot):
    def too_open(stat: FileStat, evidence: dict) -> bool:
        excess = excess_bits(stat.mode or 0, file.allowed_mode)
        evidence.update({"mode": f"{stat.mode:04o}", "allowed": f"{file.allowed_mode:04o}", "excess": f"{excess:04o}"})
        return excess != 0

    return evaluate_file(facts, file, too_open)


register_family(ROWS, describe, evaluate)
