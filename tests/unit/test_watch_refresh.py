"""A collection of the host facts (every `--host-every` seconds, and when an engine restarts) runs beside the
judging: a container reported while the host is being collected again, however long that takes, gets its line at
once, over the previous facts; the new facts are taken when the collection ends. The collection is the recorded lab
snapshot, the second one held until the test releases it, as a hung collector would hold it."""

from __future__ import annotations

import json
import threading
import time

from hostaudit import engine
from hostaudit.model import container_subject
from hostaudit.watch import STOP, HostRefresh, LineOutput, Observation, Watch

from .conftest import SNAPSHOTS


def test_a_container_is_judged_while_the_host_is_collected_again(tmp_path):
    snapshot = engine.load_snapshot(SNAPSHOTS / "lab" / "planted.json")
    release, collections = threading.Event(), []

    def collect():
        collections.append(time.monotonic())
        if len(collections) > 1:
            assert release.wait(30)
        return snapshot, []

    output = tmp_path / "watch.jsonl"
    watch = Watch(collect, lambda: (), LineOutput(output), host_every=3600.0)
    weak = next(c for c in snapshot.containers if c.name == "priv")
    key = container_subject(weak).key

    def lines() -> list[dict]:
        return [json.loads(line) for line in output.read_text().splitlines()] if output.exists() else []

    seen_while_collecting: list[bool] = []

    def drive() -> None:
        while not collections:
            time.sleep(0.01)
        watch.messages.put(HostRefresh("an engine restarted"))
        while len(collections) < 2:
            time.sleep(0.01)
        watch.messages.put(Observation("docker:test", "start", key, weak, snapshot.runtime.get(weak.key)))
        ends = time.monotonic() + 10
        while not lines() and time.monotonic() < ends:
            time.sleep(0.02)
        seen_while_collecting.append(bool(lines()) and not release.is_set())
        release.set()
        time.sleep(0.5)  # the held collection ends and is taken: the container is judged again, no new line
        watch.messages.put(STOP)

    driver = threading.Thread(target=drive)
    driver.start()
    assert watch.run() == 0
    driver.join()
    assert seen_while_collecting == [True], "the line waited for the host's collection"
    assert [(line["subject"], line["verdict"]) for line in lines()] == [(key, "escapable")]
    assert len(collections) == 2
