"""Which host mount holds a path."""

from __future__ import annotations

from hostaudit.model import HostMount


def _within(path: str, mount_point: str) -> bool:
    return mount_point == "/" or path == mount_point or path.startswith(mount_point.rstrip("/") + "/")


def mount_holding(path: str, mounts: tuple[HostMount, ...]) -> HostMount | None:
    """The mount whose mount point is the longest prefix (by path component) of `path`; the last one
    mounted wins among mounts on the same point."""
    best: HostMount | None = None
    for mount in mounts:
        if _within(path, mount.mount_point) and (best is None or len(mount.mount_point) >= len(best.mount_point)):
            best = mount
    return best
