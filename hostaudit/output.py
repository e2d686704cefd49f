"""Write report files atomically, readable by their owner only (unless a caller says otherwise)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


def write(data: str | bytes, path: Path | None, mode: int = 0o600) -> None:
    """Write to `path` through a temporary file of `mode` (0600 by default) renamed into place, or to stdout when
    `path` is None."""
    payload = data.encode() if isinstance(data, str) else data
    if path is None:
        sys.stdout.buffer.write(payload)
        sys.stdout.flush()
        return
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
