"""The watch's Docker readers: one container's reads never overlap nor overtake each other, the last event is always
read after it arrived, and a container whose read waits does not hold up another's. The daemon is a stand-in whose
inspect of a container blocks until the test releases it, as dockerd's does while it starts that container (the
engine test tests/engine/test_watch.py shows that on a real daemon)."""

from __future__ import annotations

import queue
import threading

import pytest

from hostaudit.collectors.containers import Endpoint
from hostaudit.watch import DockerFollower, Observation

SLOW, QUICK = "a" * 64, "b" * 64


class HeldDaemon:
    """Inspects of SLOW wait for `release`; every inspect is recorded with the reads under way at its start."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.under_way: dict[str, int] = {}
        self.overlapped = False
        self.inspected: list[str] = []
        self.generation = {SLOW: 0, QUICK: 0}  # bumped by the test as "the container changed"

    def inspect_container(self, container_id: str) -> dict:
        with self.lock:
            self.overlapped |= self.under_way.get(container_id, 0) > 0
            self.under_way[container_id] = self.under_way.get(container_id, 0) + 1
            self.inspected.append(container_id)
            generation = self.generation[container_id]
        try:
            if container_id == SLOW:
                assert self.release.wait(10)
            return {"Id": container_id, "Name": f"/{container_id[:1]}-{generation}", "Config": {},
                    "HostConfig": {}, "State": {"Running": False}}
        finally:
            with self.lock:
                self.under_way[container_id] -= 1


@pytest.fixture
def follower():
    out: queue.SimpleQueue = queue.SimpleQueue()
    stop = threading.Event()
    watcher = DockerFollower(Endpoint("unix:///nonexistent.sock", None, True), 1.0, out, stop)
    watcher._api = HeldDaemon()
    from concurrent.futures import ThreadPoolExecutor

    watcher._readers = ThreadPoolExecutor(4)
    yield watcher, out
    stop.set()
    watcher._api.release.set()
    watcher._readers.shutdown(wait=True)


def event(action: str, container_id: str) -> dict:
    return {"Type": "container", "Action": action, "Actor": {"ID": container_id}, "time": 1}


def next_observation(out: queue.SimpleQueue) -> Observation:
    return out.get(timeout=10)


def test_a_held_read_holds_up_no_other_container(follower):
    watcher, out = follower
    watcher._handle(event("create", SLOW))
    watcher._handle(event("create", QUICK))
    assert next_observation(out).key == "docker:b-0"  # while SLOW's read still waits
    watcher._api.release.set()
    assert next_observation(out).key == "docker:a-0"


def test_events_during_a_read_give_one_more_read_for_the_last_event_after_it(follower):
    watcher, out = follower
    daemon = watcher._api
    watcher._handle(event("create", SLOW))
    for action in ("start", "update", "rename"):
        watcher._handle(event(action, SLOW))
    daemon.generation[SLOW] = 1  # changed after the first read began
    daemon.release.set()
    first, second = next_observation(out), next_observation(out)
    assert (first.event, second.event) == ("create", "rename")
    assert second.key == "docker:a-1"  # the last read saw the container as it is now
    assert daemon.inspected.count(SLOW) == 2 and not daemon.overlapped
    with pytest.raises(queue.Empty):
        out.get(timeout=0.5)


def test_a_removal_during_a_read_is_reported_after_it(follower):
    watcher, out = follower
    watcher._handle(event("create", SLOW))
    watcher._handle(event("destroy", SLOW))
    watcher._api.release.set()
    read, gone = next_observation(out), next_observation(out)
    assert (read.event, read.container is not None) == ("create", True)
    assert (gone.event, gone.key, gone.container) == ("destroy", read.key, None)
