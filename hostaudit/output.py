"""Write report files atomically, readable by their owner only (unless a caller says otherwise).

A path that is a character device or a FIFO (`/dev/null`, `/dev/stdout`, a pipe to a reader) is written in place,
never replaced; any other existing non-regular file (a directory, a socket, a block device) is refused. Every failure
is an OSError naming the path, which the CLI reports as an I/O error.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO


def write(data: str | bytes | Iterable[str], path: Path | None, mode: int = 0o600) -> None:
    """Write text, bytes or text pieces to `path` through a temporary file of `mode` (0600 by default) renamed into
    place, or to stdout when `path` is None."""
    pieces = [data] if isinstance(data, str | bytes) else data
    if path is None:
        _write_all(sys.stdout.buffer, pieces)
        sys.stdout.flush()
        return
    try:
        kind = os.stat(path).st_mode
    except FileNotFoundError:
        kind = stat.S_IFREG
    if stat.S_ISCHR(kind) or stat.S_ISFIFO(kind):
        _write_in_place(pieces, path)
        return
    if not stat.S_ISREG(kind):
        raise IsADirectoryError(21, "not a regular file, a character device or a FIFO: refused", str(path))
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            _write_all(handle, pieces)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _write_in_place(pieces: Iterable[str | bytes], path: Path) -> None:
    """Write to a device or FIFO without replacing it; a FIFO nobody reads is an error, not a hang."""
    fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY)
    os.set_blocking(fd, True)
    try:
        with os.fdopen(fd, "wb") as handle:
            _write_all(handle, pieces)
    except BrokenPipeError as exc:  # named, so that the error says which output lost its reader
        raise BrokenPipeError(exc.errno, exc.strerror, str(path)) from None


def _write_all(handle: BinaryIO, pieces: Iterable[str | bytes]) -> None:
    """Write every byte of every piece: a buffered write that the reader cut short (a pipe closed by `head`)
    returns a short count instead of raising, so the rest is written again until the OSError comes."""
    for piece in pieces:
        view = memoryview(piece.encode() if isinstance(piece, str) else piece)
        while view:
            view = view[handle.write(view):]
