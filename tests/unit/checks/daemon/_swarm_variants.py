"""Swarm states of the lab snapshot's daemon."""

from hostaudit.model import Snapshot
from tests.unit.checks.daemon._variants import with_daemon


def with_swarm(snapshot: Snapshot, swarm: dict, **changes) -> Snapshot:
    return with_daemon(snapshot, info={**snapshot.docker_daemon.info, "Swarm": swarm}, **changes)
