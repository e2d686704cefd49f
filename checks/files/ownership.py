"""Owners of the files that control the runtime (CIS 3.1, 3.3, ... 3.23): one row per file."""

from __future__ import annotations

from hostaudit.catalog import CheckMeta, Row, Scope, Severity, register_family
from hostaudit.model import FileStat, Snapshot

from ..daemon._settings import setting
from . import _table as table
from ._table import SOCKET_KEY, RuntimeFile, evaluate_file

FAMILY = True

ROWS = (
    Row("files.docker_service_wrong_owner", Severity.LOW, table.DOCKER_SERVICE),
    Row("files.docker_socket_unit_wrong_owner", Severity.LOW, table.DOCKER_SOCKET_UNIT),
    Row("files.etc_docker_wrong_owner", Severity.LOW, table.ETC_DOCKER),
    Row("files.registry_certs_wrong_owner", Severity.LOW, table.REGISTRY_CERTS),
    Row("files.tls_ca_cert_wrong_owner", Severity.LOW, table.TLS_CA_CERT),
    Row("files.tls_server_cert_wrong_owner", Severity.LOW, table.TLS_SERVER_CERT),
    Row("files.tls_server_key_wrong_owner", Severity.LOW, table.TLS_SERVER_KEY),
    Row("files.docker_sock_wrong_owner", Severity.MEDIUM, table.DOCKER_SOCK),
    Row("files.daemon_json_wrong_owner", Severity.LOW, table.DAEMON_JSON),
    Row("files.etc_default_docker_wrong_owner", Severity.LOW, table.ETC_DEFAULT_DOCKER),
    Row("files.etc_sysconfig_docker_wrong_owner", Severity.LOW, table.ETC_SYSCONFIG_DOCKER),
    Row("files.containerd_sock_wrong_owner", Severity.MEDIUM, table.CONTAINERD_SOCK),
)


def allowed_groups(facts: Snapshot, file: RuntimeFile) -> tuple[str, ...]:
    """The row's groups, plus the group dockerd was told to give its socket (-G / "group")."""
    daemon = facts.docker_daemon
    if file.role != "docker_sock" or daemon is None:
        return file.groups
    configured = setting(daemon, "group").value
    return (*file.groups, configured) if isinstance(configured, str) and configured else file.groups


def _expected(file: RuntimeFile) -> str:
    return f"root:{file.groups[-1]}"


def describe(row: Row[RuntimeFile]) -> CheckMeta:
    file = row.spec
    return CheckMeta(
        id=row.id,
        title=f"{file.what} is not owned by {_expected(file)}",
        severity=row.severity,
        scope=Scope.HOST,
        cis=(file.owner_cis,),
        rationale=(f"The owner and group of {file.what} can use the API it serves, which is root on the host."
                   if file.ansible_key == SOCKET_KEY else
                   f"Whoever owns {file.what} can change what the Docker daemon trusts or runs, which is root on "
                   "the host."),
        remediation=f"chown {_expected(file)} on the file the finding names.",
        needs=("files",),
        ansible_key=file.ansible_key,
    )


def evaluate(file: RuntimeFile, facts: Snapshot):
    groups = allowed_groups(facts, file)

    def wrong_owner(stat: FileStat, evidence: dict) -> bool:
        evidence.update({"owner": f"{stat.owner or stat.uid}:{stat.group or stat.gid}", "uid": stat.uid,
                         "gid": stat.gid, "expected": _expected(file)})
        return stat.uid != 0 or not (stat.gid == 0 or stat.group in groups)

    return evaluate_file(facts, file, wrong_owner)


register_family(ROWS, describe, evaluate)
