"""Edit the /proc view of one container in a recorded snapshot."""

from __future__ import annotations

import dataclasses

from hostaudit.model import MountInfo, Snapshot


def with_proc(snapshot: Snapshot, name: str, **changes) -> Snapshot:
    """The snapshot with the /proc facts of the container called `name` changed."""
    key = next(c.key for c in snapshot.all_containers if c.name == name)
    proc = dataclasses.replace(snapshot.runtime[key], **changes)
    return dataclasses.replace(snapshot, runtime={**snapshot.runtime, key: proc})


def mount(point: str, fstype: str, rw: bool = True, root: str = "/", propagation: tuple[str, ...] = ()) -> MountInfo:
    return MountInfo(point, root, fstype, fstype, ("rw" if rw else "ro", "nosuid"), (), propagation)


def add_mounts(snapshot: Snapshot, name: str, *mounts: MountInfo) -> Snapshot:
    key = next(c.key for c in snapshot.all_containers if c.name == name)
    return with_proc(snapshot, name, mounts=snapshot.runtime[key].mounts + mounts)
