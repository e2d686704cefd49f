"""The watch's Podman poller never piles up reads nor busy-loops, whatever a store costs to read: a read past its
budget is reported and left to end before another starts, polls are spaced by their own duration, and stores whose
files did not change are not read again. The oracle is the clock and the count of reads the collector saw (the
collector and the state of the stores are replaced; no storage is read)."""

from __future__ import annotations

import itertools
import queue
import threading
import time

import pytest

from hostaudit.collectors import podman
from hostaudit.model import PodmanFacts
from hostaudit.watch import POLL_SPACING, PodmanPoller


@pytest.fixture
def changing(monkeypatch):
    """Stores whose files change before every poll."""
    changes = itertools.count()
    monkeypatch.setattr(podman, "store_state", lambda _ctx: ((next(changes),), True))


@pytest.fixture
def stop():
    event = threading.Event()
    yield event
    event.set()


def _until(condition, timeout: float = 10.0) -> None:
    ends = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < ends, "not within the time"
        time.sleep(0.01)


def test_a_read_past_its_budget_is_reported_and_none_starts_while_it_runs(monkeypatch, changing, stop, capsys):
    reads: list[float] = []
    release = threading.Event()

    def stuck(_ctx):
        reads.append(time.monotonic())
        release.wait()
        return PodmanFacts((), ())

    monkeypatch.setattr(podman, "collect", stuck)
    poller = PodmanPoller((), budget=0.2, every=0.05, out=queue.SimpleQueue(), stop=stop)
    poller.start()
    _until(lambda: "podman: timed out after 0.2 s" in capsys.readouterr().err)
    time.sleep(1.0)  # twenty polling periods
    assert len(reads) == 1 and not poller.up
    release.set()
    _until(lambda: len(reads) >= 2 and poller.up)  # once it ended, the stores are read again


def test_polls_are_spaced_by_their_own_duration(monkeypatch, changing, stop):
    reads: list[float] = []

    def slow(_ctx):
        reads.append(time.monotonic())
        time.sleep(0.1)
        return PodmanFacts((), ())

    monkeypatch.setattr(podman, "collect", slow)
    PodmanPoller((), budget=5.0, every=0.01, out=queue.SimpleQueue(), stop=stop).start()
    _until(lambda: len(reads) >= 4)
    gaps = [later - earlier for earlier, later in itertools.pairwise(reads)]
    assert min(gaps) >= 0.1 * (1 + POLL_SPACING)  # a read of 0.1 s, then at least POLL_SPACING times that idle


@pytest.mark.parametrize(("settled", "reads"), [(True, 1), (False, 5)], ids=["settled", "changed-just-now"])
def test_unchanged_stores_are_not_read_again_unless_they_changed_just_now(monkeypatch, stop, settled, reads):
    """A file changed within the last clock tick may change again with the same times: it is read until settled."""
    seen: list[float] = []
    looks: list[float] = []

    def look(_ctx):
        looks.append(time.monotonic())
        return ("the same files",), settled

    monkeypatch.setattr(podman, "store_state", look)
    monkeypatch.setattr(podman, "collect", lambda _ctx: seen.append(time.monotonic()) or PodmanFacts((), ()))
    PodmanPoller((), budget=5.0, every=0.01, out=queue.SimpleQueue(), stop=stop).start()
    _until(lambda: len(looks) >= 10)
    assert len(seen) == reads if settled else len(seen) >= reads
