"""Which network a container's traffic shares: Docker's default bridge, a user-defined network, the host, none."""

from __future__ import annotations

from hostaudit.model import Container

DEFAULT_BRIDGE = "bridge"


def docker_network_kind(ctr: Container) -> str:
    """`host`, `none`, `container` (joins another's), `default-bridge`, `user-defined` or `detached` (no network
    attached, as with a daemon started with --bridge=none)."""
    mode = ctr.network_mode or ctr.namespaces.get("network", "")  # snapshots older than network_mode
    if mode in ("host", "none"):
        return mode
    if mode.startswith("container:"):
        return "container"
    if not ctr.networks:
        return "detached"
    return "default-bridge" if DEFAULT_BRIDGE in ctr.networks else "user-defined"
