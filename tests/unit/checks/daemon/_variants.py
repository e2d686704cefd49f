"""Daemon-fact variants of the lab snapshot."""

import dataclasses

from hostaudit.model import ConfigFile, Presence, Snapshot


def with_daemon(snapshot: Snapshot, config: dict | None = None, flags: dict | None = None, **changes) -> Snapshot:
    daemon = snapshot.docker_daemon
    if config is not None:
        changes["config"] = ConfigFile(daemon.config.path, Presence.PRESENT, data=config)
    if flags is not None:
        changes["flags"] = {**daemon.flags, **flags}
    return dataclasses.replace(snapshot, docker_daemon=dataclasses.replace(daemon, **changes))


def edited_after_start(snapshot: Snapshot, config: dict, **changes) -> Snapshot:
    """daemon.json rewritten with `config` one minute after the running dockerd started."""
    started = 1_700_000_000.0
    daemon = snapshot.docker_daemon
    edited = ConfigFile(daemon.config.path, Presence.PRESENT, data=config, modified_at=started + 60)
    return dataclasses.replace(snapshot, docker_daemon=dataclasses.replace(
        daemon, config=edited, started_at=started, **changes))
