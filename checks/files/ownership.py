"""Owners of the files that control the runtime (CIS 3.1, 3.3, ... 3.23): one row per file."""

from __future__ import annotations

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import FileStat, Snapshot

from ..daemon._settings import setting
from ._table import ROWS, SOCKET_KEY, FileRow, evaluate_row

FAMILY = True


def allowed_groups(facts: Snapshot, row: FileRow) -> tuple[str, ...]:
    """The row's groups, plus the group dockerd was told to give its socket (-G / "group")."""
    daemon = facts.docker_daemon
    if row.role != "docker_sock" or daemon is None:
        return row.groups
    configured = setting(daemon, "group").value
    return (*row.groups, configured) if isinstance(configured, str) and configured else row.groups


def _register(row: FileRow) -> None:
    expected = f"root:{row.groups[-1]}"
    meta = CheckMeta(
        id=f"files.{row.slug}_wrong_owner",
        title=f"{row.what} is not owned by {expected}",
        severity=Severity.MEDIUM if row.ansible_key == SOCKET_KEY else Severity.LOW,
        scope=Scope.HOST,
        cis=(row.owner_cis,),
        rationale=(f"The owner and group of {row.what} can use the API it serves, which is root on the host."
                   if row.ansible_key == SOCKET_KEY else
                   f"Whoever owns {row.what} can change what the Docker daemon trusts or runs, which is root on "
                   "the host."),
        remediation=f"chown {expected} on the file the finding names.",
        needs=("files",),
        ansible_key=row.ansible_key,
    )

    @register(meta)
    def evaluate(facts: Snapshot):
        groups = allowed_groups(facts, row)

        def wrong_owner(stat: FileStat, evidence: dict) -> bool:
            evidence.update({"owner": f"{stat.owner or stat.uid}:{stat.group or stat.gid}", "uid": stat.uid,
                             "gid": stat.gid, "expected": expected})
            return stat.uid != 0 or not (stat.gid == 0 or stat.group in groups)

        return evaluate_row(facts, row, wrong_owner)


for _row in ROWS:
    _register(_row)
