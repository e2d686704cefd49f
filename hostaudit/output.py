"""Write report files atomically, readable by their owner only (unless a caller says otherwise)."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path


def write(data: str | bytes | Iterable[str], path: Path | None, mode: int = 0o600) -> None:
    """Write text, bytes or text pieces to `path` through a temporary file of `mode` (0600 by default) renamed into
    place, or to stdout when `path` is None."""
    pieces = [data] if isinstance(data, str | bytes) else data
    if path is None:
        for piece in pieces:
            sys.stdout.buffer.write(piece.encode() if isinstance(piece, str) else piece)
        sys.stdout.flush()
        return
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            for piece in pieces:
                handle.write(piece.encode() if isinstance(piece, str) else piece)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
