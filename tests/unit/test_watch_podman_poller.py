"""The watch's Podman poller never piles up reads nor busy-loops, whatever a store costs to read: a read past its
budget is reported and left to end before another starts, and polls are spaced by their own duration. The oracle
is the clock and the count of reads the collector saw (the collector is replaced; no storage is read)."""

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
def stop():
    event = threading.Event()
    yield event
    event.set()


def _until(condition, timeout: float = 10.0) -> None:
    ends = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < ends, "not within the time"
        time.sleep(0.01)


def test_a_read_past_its_budget_is_reported_and_none_starts_while_it_runs(monkeypatch, stop, capsys):
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


def test_polls_are_spaced_by_their_own_duration(monkeypatch, stop):
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
