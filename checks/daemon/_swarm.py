"""Swarm state as the daemon's /info reports it."""

from __future__ import annotations

from typing import Any

from hostaudit.model import DockerDaemonFacts

ACTIVE_STATES = frozenset({"active", "locked", "pending", "error"})  # the node is (joining) a swarm


def swarm(daemon: DockerDaemonFacts) -> dict[str, Any]:
    return (daemon.info or {}).get("Swarm") or {}


def swarm_state(daemon: DockerDaemonFacts) -> str | None:
    """LocalNodeState (inactive, pending, active, error, locked), or None when the API did not say."""
    return swarm(daemon).get("LocalNodeState") or None
