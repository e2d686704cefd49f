"""Which host paths a container's mounts expose: a mount of a parent directory exposes everything below it."""

from __future__ import annotations

import posixpath

from hostaudit.model import Container, Mount

RUNTIME_SOCKETS = (
    "/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock",
    "/var/run/containerd/containerd.sock", "/run/crio/crio.sock", "/var/run/crio/crio.sock",
    "/run/podman/podman.sock", "/run/buildkit/buildkitd.sock",
)


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


def mount_exposing(ctr: Container, paths: tuple[str, ...] | list[str]) -> tuple[Mount, str] | None:
    """The first host bind mount that reaches one of `paths`, with the path it reaches."""
    for mount in host_mounts(ctr):
        for path in paths:
            if exposes(mount, path):
                return mount, path
    return None
