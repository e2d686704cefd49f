"""Modes of the files that control the runtime (CIS 3.2, 3.4, ... 3.24): one row per file."""

from __future__ import annotations

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import FileStat, Snapshot

from ._table import ROWS, SOCKET_KEY, FileRow, evaluate_row

FAMILY = True


def excess_bits(mode: int, allowed: int) -> int:
    """Permission bits set beyond `allowed`, setuid/setgid/sticky included (an octal mask, never a decimal
    comparison: 0606 exceeds 0660)."""
    return mode & 0o7777 & ~allowed


def _register(row: FileRow) -> None:
    allowed = f"{row.allowed_mode:04o}"
    meta = CheckMeta(
        id=f"files.{row.slug}_permissive_mode",
        title=f"{row.what} has a mode wider than {allowed}",
        severity=Severity.HIGH if row.ansible_key == SOCKET_KEY else Severity.LOW,
        scope=Scope.HOST,
        cis=(row.mode_cis,),
        rationale=f"Permission bits beyond {allowed} on {row.what} let other users read secrets or change "
                  "what the daemon trusts or runs; on a socket, any local user who can write to it is root.",
        remediation=f"chmod {allowed} (or narrower) on the file the finding names.",
        needs=("files",),
        ansible_key=row.ansible_key,
    )

    @register(meta)
    def evaluate(facts: Snapshot):
        def too_open(stat: FileStat, evidence: dict) -> bool:
            excess = excess_bits(stat.mode or 0, row.allowed_mode)
            evidence.update({"mode": f"{stat.mode:04o}", "allowed": allowed, "excess": f"{excess:04o}"})
            return excess != 0

        return evaluate_row(facts, row, too_open)


for _row in ROWS:
    _register(_row)
