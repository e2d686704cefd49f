"""Which mount a path resolves to in a container's mount table, against the definition written out by brute force:
the deepest mount point at or above the path ("/" covers anything), the later of mounts stacked on one point."""

from __future__ import annotations

import posixpath
import random

from checks.container import _mountns
from hostaudit.model import MountInfo

PARTS = ("proc", "sys", "fs", "cgroup", "kernel", "a")


def covering_by_definition(mounts: tuple[MountInfo, ...], path: str) -> MountInfo | None:
    best, depth = None, -1
    for mount in mounts:
        point = posixpath.normpath(mount.mount_point)
        at_or_above = path == point or point == "/" or path.startswith(point + "/")
        if at_or_above and len(point) >= depth:
            best, depth = mount, len(point)
    return best


def test_the_mount_on_top_at_the_deepest_point_covers_a_path():
    chance = random.Random(17)
    for _ in range(5000):
        mounts = tuple(MountInfo("/" + "/".join(chance.choices(PARTS, k=chance.randint(0, 3))),
                                 "/", chance.choice(("proc", "sysfs", "tmpfs")), "x", ("rw",), (), ())
                       for _ in range(chance.randint(0, 8)))
        path = posixpath.normpath("/" + "/".join(chance.choices(PARTS, k=chance.randint(1, 4))))
        tops = {posixpath.normpath(m.mount_point): m for m in mounts}
        assert _mountns._covering(tops, path) is covering_by_definition(mounts, path), (mounts, path)


def test_a_relative_path_is_still_covered_by_the_mount_on_root():
    """The kernel writes absolute mount points; a snapshot from elsewhere may not: "/" still covers such a path."""
    root, other = (MountInfo(point, "/", "proc", "x", ("rw",), (), ()) for point in ("/", "/proc"))
    tops = {"/": root, "/proc": other}
    assert _mountns._covering(tops, "proc/sys") is root
    assert _mountns._covering(tops, "/proc/sys") is other
    assert _mountns._covering({"/proc": other}, "/sys") is None
