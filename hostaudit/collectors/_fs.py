"""Read-only file access that tells "absent" from "could not look", and never follows a final symlink; and the one
place host paths are mapped to where this process sees them (`--host-root`: the host's / mounted in a container).

Every collector names host paths (`/etc/docker/daemon.json`, `/proc/<pid>/status`) and reads them through the
functions here, which put them under the host root. Symlinks are resolved inside that root, so an absolute link on
the host (`/var/run -> /run`) never leads to a file of the auditing container. Paths recorded in the snapshot stay
host paths.
"""

from __future__ import annotations

import grp
import os
import posixpath
import pwd
import stat
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hostaudit.model import ConfigFile, FileStat, Presence, SocketInfo

MAX_READ = 4 * 1024 * 1024
MAX_LINKS = 40  # as the kernel's path walk
KERNEL_FS = ("/proc", "/sys")  # pseudo filesystems: mapped by prefix, their magic links never resolved
_host_root = "/"  # set once per audit by `use_host_root`, before any collector runs


def use_host_root(root: str) -> None:
    """Read the host through `root` (a directory where the host's / is mounted); "/" reads this machine."""
    global _host_root
    import psutil

    _host_root = os.path.abspath(root) if root else "/"
    psutil.PROCFS_PATH = host_path("/proc")


def host_root() -> str:
    return _host_root


# What a path that takes more than MAX_LINKS symlinks maps to: one component longer than any name (255 bytes), which
# the kernel refuses (ENAMETOOLONG) before it looks anything up. Mapping the unresolved rest under the root instead
# let the kernel follow the remaining links, absolute ones to this machine's own files.
TOO_MANY_LINKS = "/" + "too-many-symbolic-links." * 11


def resolve(path: str) -> str:
    """`path` with every symlink resolved as the host would, inside the host root; a host path, not mapped. Past
    MAX_LINKS links, the rest is left as written (as a name only: `host_path` maps it to nothing)."""
    return _walk(path)[0]


def _walk(path: str) -> tuple[str, bool]:
    """`resolve`'s answer, and whether every symlink on the way was resolved (False past MAX_LINKS)."""
    if _host_root == "/":
        return os.path.realpath(path), True
    if path.startswith(tuple(k + "/" for k in KERNEL_FS)) or path in KERNEL_FS:
        return posixpath.normpath(path), True
    pending = [p for p in posixpath.normpath("/" + path).split("/") if p]
    done = "/"
    links = 0
    while pending:
        part = pending.pop(0)
        if part == "..":
            done = posixpath.dirname(done)
            continue
        candidate = posixpath.join(done, part)
        try:
            target = os.readlink(_host_root + candidate)
        except OSError:  # not a link, or absent: the rest is taken as written
            done = candidate
            continue
        links += 1
        if links > MAX_LINKS:
            return posixpath.join(candidate, *pending), False
        if target.startswith("/"):
            done = "/"
        pending = [p for p in target.split("/") if p and p != "."] + pending
    return done, True


def host_path(path: str, follow: bool = True) -> str:
    """Where this process reads the host path `path`: itself without a host root, else under the root, its
    directories resolved inside the root (and its final component too when `follow`)."""
    if _host_root == "/" or not path.startswith("/"):
        return path
    if path.startswith(tuple(k + "/" for k in KERNEL_FS)) or path in KERNEL_FS:
        return _host_root + posixpath.normpath(path)
    parent, name = (path, "") if follow else posixpath.split(posixpath.normpath(path))
    resolved, complete = _walk(parent)
    if not complete:
        return _host_root + TOO_MANY_LINKS
    return _host_root + (posixpath.join(resolved, name) if name else resolved)


def to_host(mapped: str) -> str:
    """The host path of a path under the host root (what `host_glob` and `os.walk` give)."""
    if _host_root == "/" or not mapped.startswith(_host_root + "/"):
        return mapped
    return mapped[len(_host_root):]


def host_glob(pattern: str) -> list[str]:
    """Host paths matching a glob of host paths: its fixed leading directories resolved inside the host root."""
    import glob

    if _host_root == "/":
        return glob.glob(pattern)
    parts = pattern.split("/")
    fixed = next((i for i, part in enumerate(parts) if glob.has_magic(part)), len(parts))
    base = host_path("/".join(parts[:fixed]) or "/")
    return [to_host(p) for p in glob.glob(glob.escape(base) + "/" + "/".join(parts[fixed:]))]


def host_exists(path: str) -> bool:
    return os.path.exists(host_path(path))


def host_isdir(path: str) -> bool:
    return os.path.isdir(host_path(path))


def host_listdir(path: str) -> list[str]:
    return os.listdir(host_path(path))


def _why(path: str, exc: OSError) -> str:
    """One line for a host path that could not be read: the system's reason, or the symlink limit that stopped it."""
    if isinstance(exc.filename, str) and exc.filename.endswith(TOO_MANY_LINKS):
        return f"{path}: more than {MAX_LINKS} symbolic links (not followed)"
    return f"{path}: {exc.strerror or exc}"


@dataclass(frozen=True)
class TextRead:
    presence: Presence
    text: str | None = None
    error: str | None = None
    unusable: bool = False  # the path exists but is no readable text file (a directory, too large): a host defect
    modified_at: float | None = None


def read_text(path: str, limit: int = MAX_READ, follow: bool = True, owner: int | None = None) -> TextRead:
    """The text of a file, or why it could not be read; a directory or a too-large file is an error, not a crash.
    With `owner` (a user's own file, at a path that user wrote), only a regular file that uid owns is read, never
    through a symbolic link at its last step: a user cannot make root read another's file in their name."""
    follow = follow and owner is None
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(host_path(path, follow), flags)
    except FileNotFoundError:
        return TextRead(Presence.ABSENT)
    except OSError as exc:
        return TextRead(Presence.UNREADABLE, error=_why(path, exc))
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode) and not path.startswith(("/proc/", "/sys/")):
            return TextRead(Presence.UNREADABLE, error=f"{path}: not a regular file", unusable=True)
        if owner is not None and status.st_uid != owner:
            return TextRead(Presence.UNREADABLE, error=f"{path}: owned by uid {status.st_uid}, not by uid {owner} "
                            "whose file it stands for", unusable=True)
        data = os.read(fd, limit + 1)
        chunks = [data]
        while data and sum(map(len, chunks)) <= limit:
            data = os.read(fd, limit + 1)
            chunks.append(data)
    except OSError as exc:
        return TextRead(Presence.UNREADABLE, error=_why(path, exc))
    finally:
        os.close(fd)
    raw = b"".join(chunks)
    if len(raw) > limit:
        return TextRead(Presence.UNREADABLE, error=f"{path}: larger than {limit} bytes", unusable=True)
    return TextRead(Presence.PRESENT, raw.decode("utf-8", errors="replace"), modified_at=status.st_mtime)


def read_start(path: str, limit: int) -> bytes | None:
    """Up to `limit` bytes of a file (its start, when it is longer), None when it cannot be read (for a /proc file:
    its process has gone)."""
    try:
        fd = os.open(host_path(path), os.O_RDONLY)
    except OSError:
        return None
    try:
        chunks = []
        size = 0
        while size < limit and (data := os.read(fd, min(65536, limit - size))):
            chunks.append(data)
            size += len(data)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def read_parsed(path: str, parse: Callable[[str], dict[str, Any]], owner: int | None = None) -> ConfigFile:
    """A configuration file parsed, or why not. A file that cannot be looked at (permissions) stays `unreadable`;
    one that exists but cannot be used (a directory, too large, malformed, or one a user other than root could have
    written: `root_only`) is `present` with the error. With `owner`, the file is a user's own (`read_text`), read
    as that user's settings: root's trust rule does not apply to it, and it is never root's."""
    found = read_text(path, owner=owner)
    if found.unusable:
        return ConfigFile(path, Presence.PRESENT, error=found.error)
    if found.presence is not Presence.PRESENT:
        return ConfigFile(path, found.presence, found.error)
    doubt = root_only(path) if owner is None else None
    if doubt:  # root's daemon reads it, but a user could have written it: a finding, never a source
        return ConfigFile(path, Presence.PRESENT, error=f"{path}: not root's alone ({doubt}): its settings are not "
                          "trusted", modified_at=found.modified_at)
    try:
        return ConfigFile(path, Presence.PRESENT, data=parse(found.text or ""), modified_at=found.modified_at)
    except ValueError as exc:
        return ConfigFile(path, Presence.PRESENT, error=f"{path}: {exc}", modified_at=found.modified_at)


def passwd_users() -> list[tuple[str, int, str]]:
    """(name, uid, home) of every user in /etc/passwd, read as a file (no NSS module runs)."""
    users = []
    for line in (read_text("/etc/passwd").text or "").splitlines():
        fields = line.split(":")
        if len(fields) >= 6 and fields[2].isdigit():
            users.append((fields[0], int(fields[2]), fields[5]))
    return users


def user_home(uid: int) -> str | None:
    """The /etc/passwd home directory of `uid`, when it has an absolute one."""
    return next((home for _, known, home in passwd_users() if known == uid and home.startswith("/")), None)


def user_name(uid: int) -> str:
    """The /etc/passwd name of `uid`, else the number."""
    return next((name for name, known, _ in passwd_users() if known == uid), str(uid))


def _owner_name(uid: int) -> str | None:
    """The host's name of `uid` (its /etc/passwd under the host root; the name service without one)."""
    if _host_root == "/":
        try:
            return pwd.getpwuid(uid).pw_name
        except KeyError:
            return None
    return next((name for name, known, _ in passwd_users() if known == uid), None)


def _group_name(gid: int) -> str | None:
    if _host_root == "/":
        try:
            return grp.getgrgid(gid).gr_name
        except KeyError:
            return None
    for line in (read_text("/etc/group").text or "").splitlines():
        fields = line.split(":")
        if len(fields) >= 3 and fields[2] == str(gid):
            return fields[0]
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
        st = os.stat(host_path(path))
    except FileNotFoundError:
        return FileStat(path, role, Presence.ABSENT)
    except OSError as exc:
        return FileStat(path, role, Presence.UNREADABLE, error=_why(path, exc))
    return FileStat(
        path, role, Presence.PRESENT, mode=stat.S_IMODE(st.st_mode), uid=st.st_uid, gid=st.st_gid,
        owner=_owner_name(st.st_uid), group=_group_name(st.st_gid), kind=_kind(st.st_mode),
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


def root_only(path: str) -> str | None:
    """Why a user other than root could change what the host path `path` holds (`trust.others_could_change`,
    walked inside the host root); None when only root can: what root's daemons name is believed only then."""
    from hostaudit.trust import others_could_change

    return others_could_change(path, root=_host_root)
