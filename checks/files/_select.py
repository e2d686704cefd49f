"""The recorded files of one role, and the subject a result about one of them has."""

from __future__ import annotations

from hostaudit.model import FileStat, Snapshot, Subject


def file_subject(found: FileStat) -> Subject:
    return Subject(f"file:{found.path}", "file", found.path)


def files_in_role(facts: Snapshot, role: str, path: str | None = None) -> list[FileStat]:
    """FileStats the files collector recorded under `role` (only the one at `path` when given)."""
    return [f for f in facts.files if f.role == role and (path is None or f.path == path)]
