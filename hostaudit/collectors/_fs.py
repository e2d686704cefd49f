"""Read-only file access that tells "absent" from "could not look", and never follows a final symlink."""

from __future__ import annotations

import grp
import os
import pwd
import stat
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hostaudit.model import ConfigFile, FileStat, Presence, SocketInfo

MAX_READ = 4 * 1024 * 1024


@dataclass(frozen=True)
class TextRead:
    presence: Presence
    text: str | None = None
    error: str | None = None
    unusable: bool = False  # the path exists but is no readable text file (a directory, too large): a host defect
    modified_at: float | None = None


def read_text(path: str, limit: int = MAX_READ, follow: bool = True) -> TextRead:
    """The text of a file, or why it could not be read; a directory or a too-large file is an error, not a crash."""
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return TextRead(Presence.ABSENT)
    except OSError as exc:
        return TextRead(Presence.UNREADABLE, error=f"{path}: {exc.strerror or exc}")
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode) and not path.startswith(("/proc/", "/sys/")):
            return TextRead(Presence.UNREADABLE, error=f"{path}: not a regular file", unusable=True)
        data = os.read(fd, limit + 1)
        chunks = [data]
        while data and sum(map(len, chunks)) <= limit:
            data = os.read(fd, limit + 1)
            chunks.append(data)
    except OSError as exc:
        return TextRead(Presence.UNREADABLE, error=f"{path}: {exc.strerror or exc}")
    finally:
        os.close(fd)
    raw = b"".join(chunks)
    if len(raw) > limit:
        return TextRead(Presence.UNREADABLE, error=f"{path}: larger than {limit} bytes", unusable=True)
    return TextRead(Presence.PRESENT, raw.decode("utf-8", errors="replace"), modified_at=status.st_mtime)


def read_parsed(path: str, parse: Callable[[str], dict[str, Any]]) -> ConfigFile:
    """A configuration file parsed, or why not. A file that cannot be looked at (permissions) stays `unreadable`;
    one that exists but cannot be used (a directory, too large, malformed) is `present` with the error."""
    found = read_text(path)
    if found.unusable:
        return ConfigFile(path, Presence.PRESENT, error=found.error)
    if found.presence is not Presence.PRESENT:
        return ConfigFile(path, found.presence, found.error)
    try:
        return ConfigFile(path, Presence.PRESENT, data=parse(found.text or ""), modified_at=found.modified_at)
    except ValueError as exc:
        return ConfigFile(path, Presence.PRESENT, error=f"{path}: {exc}", modified_at=found.modified_at)


def _name(lookup, ident: int) -> str | None:
    try:
        return lookup(ident)[0]
    except KeyError:
        return None


def _kind(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISLNK(mode):
        return "symlink"
    return "other"


def stat_file(path: str, role: str) -> FileStat:
    """Mode and owner of `path` (following symlinks, as the daemon does), or why they are unknown."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return FileStat(path, role, Presence.ABSENT)
    except OSError as exc:
        return FileStat(path, role, Presence.UNREADABLE, error=f"{path}: {exc.strerror or exc}")
    return FileStat(
        path, role, Presence.PRESENT, mode=stat.S_IMODE(st.st_mode), uid=st.st_uid, gid=st.st_gid,
        owner=_name(pwd.getpwuid, st.st_uid), group=_name(grp.getgrgid, st.st_gid), kind=_kind(st.st_mode),
    )


def socket_info(path: str) -> SocketInfo:
    found = stat_file(path, "socket")
    return SocketInfo(path, found.presence, found.mode, found.owner, found.group)


def process_started_at(pid: int | None) -> float | None:
    """When a process started (epoch seconds), to compare with its configuration file's mtime; None when unknown."""
    if not pid:
        return None
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except (psutil.Error, OSError):
        return None
