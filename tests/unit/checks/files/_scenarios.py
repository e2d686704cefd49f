"""The section-3 scenario snapshots and a way to change one recorded file."""

import dataclasses

from hostaudit.model import Snapshot

TIGHT = "files/tight-modes-pass.json"
LOOSE = "files/loose-modes-fail.json"


def with_file(snapshot: Snapshot, path: str, **changes) -> Snapshot:
    files = tuple(dataclasses.replace(f, **changes) if f.path == path else f for f in snapshot.files)
    return dataclasses.replace(snapshot, files=files)
