"""What a container's own mount namespace shows: /proc/<pid>/mountinfo when it runs, else what its runtime declares.

A kernel filesystem (procfs, sysfs, cgroupfs) is writable from the container when some mount of it that reaches the
path of interest is read-write and not covered by another mount.
"""

from __future__ import annotations

import posixpath
from functools import lru_cache
from typing import Any

from hostaudit.model import Container, MountInfo, Snapshot

from ._mounts import exposes, host_mounts
from ._subjects import Judgement, once_per_container

PROC = ("proc",)
SYSFS = ("sysfs",)
CGROUPFS = ("cgroup", "cgroup2")
BINFMT = ("binfmt_misc",)

# the same few mount points recur in every container: normalize each once
_normpath = lru_cache(maxsize=8192)(posixpath.normpath)


def _within(path: str, parent: str) -> str | None:
    """`path` relative to `parent` ("" when equal), or None when it is not at or below it."""
    path, parent = _normpath(path), _normpath(parent)
    if path == parent:
        return ""
    if parent == "/":
        return path.lstrip("/")
    return path[len(parent) + 1:] if path.startswith(parent + "/") else None


@once_per_container  # seven checks ask for every running container
def _tops(facts: Snapshot, ctr: Container) -> dict[str, MountInfo]:
    """Each normalized mount point of the container's /proc view with the mount on top there (the later one of
    mounts stacked on one point)."""
    proc = facts.process(ctr)
    return {_normpath(mount.mount_point): mount for mount in proc.mounts} if proc is not None else {}


def _covering(tops: dict[str, MountInfo], path: str) -> MountInfo | None:
    """The mount that the normalized `path` resolves to (`tops`: its mounts' `_tops`): the one on top at the
    deepest mount point at or above it."""
    while True:
        mount = tops.get(path)
        if mount is not None:
            return mount
        parent = posixpath.dirname(path)
        if parent == path:  # "/" (or a relative path used up): only a mount on / covers it
            return tops.get("/")
        path = parent


def writable_places(facts: Snapshot, ctr: Container, fstypes: tuple[str, ...], fs_path: str | None = None
                    ) -> list[str]:
    """Container paths where `fs_path` of a filesystem of `fstypes` (None: whatever each mount shows) can be
    written, by the container's /proc view: a read-write mount reaches it and no other mount covers it."""
    proc = facts.process(ctr)
    found: list[str] = []
    if proc is None:
        return found
    for mount in proc.mounts:
        if mount.fstype not in fstypes:
            continue
        relative = _within(fs_path, mount.root or "/") if fs_path is not None else ""
        if relative is None:
            continue
        place = posixpath.normpath(posixpath.join(mount.mount_point, relative))
        top = _covering(_tops(facts, ctr), place)
        if top is not None and top.fstype in fstypes and top.rw and place not in found:
            found.append(place)
    return found


def declared_writable(ctr: Container, path: str, fstypes: tuple[str, ...]) -> tuple[bool, dict[str, Any]]:
    """Whether the runtime's declaration leaves `path` (/proc/sys, /sys, /sys/fs/cgroup) writable."""
    evidence: dict[str, Any] = {"source": "declared", "privileged.declared": ctr.privileged}
    binds = [m for m in host_mounts(ctr) if m.rw and exposes(m, path)]
    if binds:
        evidence["host_bind_rw"] = [f"{m.source}:{m.destination}" for m in binds]
        return True, evidence
    if ctr.privileged and ctr.source == "docker":
        return True, evidence
    if fstypes == PROC:
        evidence["readonly_paths"] = list(ctr.readonly_paths) if ctr.readonly_paths is not None else None
        return ctr.readonly_paths is None or path not in ctr.readonly_paths, evidence
    declared = [m for m in ctr.mounts if m.type in fstypes]
    evidence["mounts"] = [f"{m.type}:{m.destination}:{'rw' if m.rw else 'ro'}" for m in declared]
    return any(m.rw for m in declared), evidence


def writable(facts: Snapshot, ctr: Container, path: str, fstypes: tuple[str, ...], fs_path: str | None = None
             ) -> Judgement:
    """`path` (`fs_path` inside its filesystem) writable in the container: by its mountinfo when it runs (the
    effective view wins; a differing declaration is evidence), else as declared."""
    declared, declared_evidence = declared_writable(ctr, path, fstypes)
    proc = facts.process(ctr)
    if proc is None or not proc.mounts:
        return declared, declared_evidence
    places = writable_places(facts, ctr, fstypes, fs_path)
    evidence: dict[str, Any] = {"source": "/proc mountinfo", "writable_at": places}
    if declared != bool(places):
        evidence["declared_writable"] = declared
    return bool(places), evidence
