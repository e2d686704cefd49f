"""Which host paths a container's mounts expose: a mount of a parent directory exposes everything below it."""

from __future__ import annotations

import posixpath

from hostaudit.model import Container, Mount


def _norm(path: str) -> str:
    return posixpath.normpath(path) if path else ""


def exposes(mount: Mount, host_path: str) -> bool:
    """True when the host path is the mount's source or lies below it."""
    source, target = _norm(mount.source), _norm(host_path)
    if not source or not target:
        return False
    return target == source or source == "/" or target.startswith(source.rstrip("/") + "/")


def host_mounts(ctr: Container) -> list[Mount]:
    return [m for m in ctr.mounts if m.type == "bind" and m.source.startswith("/")]


def mount_exposing(ctr: Container, paths: tuple[str, ...] | list[str]) -> Mount | None:
    """The most specific host bind mount that reaches one of `paths` (the socket's own file mount before its
    directory, before `/`): the mount to remove."""
    reaching = [m for m in host_mounts(ctr) if any(exposes(m, path) for path in paths)]
    return max(reaching, key=lambda m: len(_norm(m.source).rstrip("/")), default=None)
