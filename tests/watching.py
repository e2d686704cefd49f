"""A running `hostaudit watch` read line by line, and the one-shot audit's judgement of one container: the two
sides the watch tests compare."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import threading
import time


class Watching:
    """A `hostaudit watch` process whose JSON lines are read as they come."""

    def __init__(self, *args: str) -> None:
        if "--cri-endpoint" not in args:  # not the CRI runtime of another lab (a kubelet of a test names one)
            args = (*args, "--cri-endpoint", "unix:///srv/hostaudit-lab/no-cri.sock")
        self.process = subprocess.Popen(["hostaudit", "watch", *args], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[dict] = queue.Queue()
        self.raw: list[str] = []
        self.stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=lambda: self.stderr.extend(self.process.stderr), daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.raw.append(line)
            self.lines.put(json.loads(line))

    def wait_for(self, subject: str, timeout: float = 30.0, **fields) -> dict:
        """The next line about `subject` (with `fields`), skipping others."""
        ends = time.monotonic() + timeout
        while time.monotonic() < ends:
            try:
                line = self.lines.get(timeout=max(0.0, ends - time.monotonic()))
            except queue.Empty:
                break
            if line["subject"] == subject and all(line.get(k) == v for k, v in fields.items()):
                return line
        raise AssertionError(f"no line about {subject} within {timeout} s; stderr: {''.join(self.stderr)[-2000:]}")

    def wait_for_each(self, subjects: list[str], timeout: float = 30.0) -> dict[str, dict]:
        """The first line about each of `subjects`, in whatever order they come, skipping others."""
        ends, found = time.monotonic() + timeout, {}
        while len(found) < len(subjects):
            try:
                line = self.lines.get(timeout=max(0.0, ends - time.monotonic()))
            except queue.Empty:
                missing = sorted(set(subjects) - set(found))
                raise AssertionError(f"no line about {missing} within {timeout} s; stderr: "
                                     f"{''.join(self.stderr)[-2000:]}") from None
            if line["subject"] in subjects:
                found.setdefault(line["subject"], line)
        return found

    def wait_following(self, timeout: float = 60.0, said: str = "following its events") -> None:
        """Until the watch says on stderr that it follows an engine (`said`: a Docker daemon's events by default)."""
        ends = time.monotonic() + timeout
        while not any(said in line for line in self.stderr):
            if time.monotonic() > ends or self.process.poll() is not None:
                raise AssertionError(f"the watch does not follow the engine: {''.join(self.stderr)[-2000:]}")
            time.sleep(0.05)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=20)


def audited(report: dict, key: str) -> tuple[str, list[str], list[str]]:
    """Verdict, failing check ids and escape techniques the one-shot report gives the container `key`."""
    escape = next(e for e in report["escapes"] if e["subject"]["key"] == key)
    failing = sorted({f["check_id"] for f in report["findings"]
                      if f["subject"]["key"] == key and f["status"] == "fail"})
    return escape["verdict"], failing, [p["technique"] for p in escape["paths"]]


def assert_audit_finds_nothing_high(report: dict, key: str) -> None:
    """The one-shot audit agrees the container `key` is contained, with no check failing at high or above."""
    verdict, failing, _ = audited(report, key)
    assert verdict == "contained"
    assert not [c for c in failing if report["checks"][c]["severity"] in ("critical", "high")]
