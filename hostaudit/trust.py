"""Who could change a file: the one rule behind "root trusts only root".

A path is walked as the kernel walks it (each symbolic link followed, at most MAX_LINKS), and every directory it
passes through and the object it reaches must be owned by a trusted uid and writable by no group or other user: a
sticky, world-writable /tmp counts as writable by others, since anyone may create the name there first. A link
itself is not judged: only its directory, which the walk has already passed, could replace it. A path that does not
exist yet is judged where it would be created; a whole tree (the code a root job imports) entry by entry.
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Callable

MAX_LINKS = 40  # as the kernel's path walk
MAX_TREE_ENTRIES = 200_000  # a tree larger than this is refused rather than judged
ROOT_ONLY = frozenset({0})


def _step_doubt(shown: str, status: os.stat_result, uids: frozenset[int]) -> str | None:
    if status.st_uid not in uids:
        return f"{shown} is owned by uid {status.st_uid}, not by {'root' if uids == ROOT_ONLY else 'root or you'}"
    if status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        who = "others" if status.st_mode & stat.S_IWOTH else "its group"
        return f"{shown} is writable by {who} (mode {stat.S_IMODE(status.st_mode):04o})"
    return None


def others_could_change(path: str, uids: frozenset[int] = ROOT_ONLY, root: str = "/",
                        final: Callable[[int], bool] | None = None, kind: str = "") -> str | None:
    """Why a user outside `uids` could change what `path` holds (see the module docstring), read through `root`
    (where the host's / is mounted; links resolved inside it); None when only `uids` can. `final`, when given, is
    the test the reached object's mode must pass (`stat.S_ISREG`), named `kind` in the refusal."""
    if not path.startswith("/"):
        return f"{path}: not an absolute path"
    base = "" if root == "/" else root.rstrip("/")
    pending = [part for part in path.split("/") if part and part != "."]
    done, links = "/", 0
    try:
        doubt = _step_doubt("/", os.stat(base + "/"), uids)
        while pending and doubt is None:
            part = pending.pop(0)
            if part == "..":
                done = posixpath.dirname(done)
                continue
            candidate = posixpath.join(done, part)
            status = os.lstat(base + candidate)
            if stat.S_ISLNK(status.st_mode):
                links += 1
                if links > MAX_LINKS:
                    return f"{path}: more than {MAX_LINKS} symbolic links"
                target = os.readlink(base + candidate)
                done = "/" if target.startswith("/") else done
                pending = [p for p in target.split("/") if p and p != "."] + pending
                continue
            if pending and not stat.S_ISDIR(status.st_mode):
                return f"{candidate}: not a directory"
            doubt = _step_doubt(candidate, status, uids)
            done = candidate
        if doubt is None and final is not None and not final(os.stat(base + done).st_mode):
            return f"{path} is not a {kind}"
    except OSError as exc:
        return f"{path}: {exc.strerror or exc}"
    return doubt


def others_could_place(path: str, final: Callable[[int], bool] | None = None, kind: str = "") -> str | None:
    """`others_could_change(path)` for root alone when `path` exists; when it does not, why a user other than root
    could create it: the nearest directory above it that exists is judged instead (a dangling link is refused)."""
    if os.path.lexists(path) or not path.startswith("/"):
        return others_could_change(path, final=final, kind=kind)
    above = os.path.dirname(os.path.normpath(path))
    while not os.path.lexists(above):
        above = os.path.dirname(above)
    return others_could_change(above, final=stat.S_ISDIR, kind="directory")


def others_could_change_under(tops: list[str], limit: int = MAX_TREE_ENTRIES) -> str | None:
    """Why a user other than root could change anything under `tops`, or None: each top (`others_could_place`),
    every file and directory below it, and where each link below it leads (its walk, and the tree below when it
    leads to a directory). Each directory is read once; more than `limit` entries in all are refused unjudged."""
    pending: list[str] = []
    for top in tops:
        doubt = others_could_place(top)
        if doubt is not None:
            return doubt
        if os.path.isdir(top):
            pending.append(top)
    seen: set[tuple[int, int]] = set()
    entries = 0
    try:
        while pending:
            directory = pending.pop()
            status = os.stat(directory)
            if (status.st_dev, status.st_ino) in seen:  # a tree inside another (site-packages), or a link loop
                continue
            seen.add((status.st_dev, status.st_ino))
            with os.scandir(directory) as listing:
                for entry in listing:
                    entries += 1
                    if entries > limit:
                        return f"more than {limit} files and directories under {', '.join(tops)}: too many to judge"
                    status = entry.stat(follow_symlinks=False)
                    if stat.S_ISLNK(status.st_mode):
                        doubt = others_could_change(entry.path)
                        if doubt is None and entry.is_dir():  # judged where it leads; now what lies below
                            pending.append(entry.path)
                    else:
                        doubt = _step_doubt(entry.path, status, ROOT_ONLY)
                        if stat.S_ISDIR(status.st_mode):
                            pending.append(entry.path)
                    if doubt is not None:
                        return doubt
    except OSError as exc:
        return f"{exc.filename or ', '.join(tops)}: {exc.strerror or exc}"
    return None
