"""The root audit is bounded in time: an unprivileged user's Podman storage, or a collector stuck for good, costs at
most its deadline, and the report is still complete and written.

The oracles: a throw-away host account (tests/hostile_user.py) owns the crafted storage in its home (the files made
by the real sqlite3 module, or bbolt pages laid out byte for byte); the audit is the real `hostaudit` command, timed
from outside and killed by the test when it overruns, so that a hang is a failure and never a hung suite.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.hostile_storage import fanned_out_bolt, libpod_sqlite
from tests.hostile_user import HostileUser, hostile_user
from tests.lab import empty_containerd_state, lab_dir, run_hostaudit

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: creates a host account")

STORAGE = ".local/share/containers/storage"
OVERRUN = 60  # seconds after which the test kills the audit: far beyond any bound it has


@pytest.fixture
def base() -> Iterator[Path]:
    """A short private directory for the audit's paths, removed afterwards."""
    path = lab_dir("hd-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _endless_view(user: HostileUser) -> Path:
    with tempfile.TemporaryDirectory() as made:
        data = libpod_sqlite(Path(made) / "db.sql", endless_view=True).read_bytes()
    return user.write(f"{STORAGE}/db.sql", data)


def _fanned_out(user: HostileUser) -> Path:
    return user.write(f"{STORAGE}/libpod/bolt_state.db", fanned_out_bolt())


def _where(base: Path) -> tuple[str, ...]:
    """Options keeping the audit away from other people's daemons (no Docker socket, an empty containerd state)."""
    return ("--docker-host", f"unix://{base}/no-docker.sock", "--containerd-state", str(empty_containerd_state(base)))


def _no_timeouts_but(report: dict, name: str) -> None:
    """The report is complete: the host's facts read, no other collector out of time."""
    assert report["collectors"]["host"]["state"] == "ok"
    assert [n for n, s in report["collectors"].items() if n != name and "timed out" in s["message"]] == []
    assert any(f["check_id"].startswith("kernel.") and f["status"] != "unknown" for f in report["findings"])


@pytest.mark.parametrize(("plant", "why"), [(_endless_view, "view"), (_fanned_out, "visited twice")],
                         ids=["db.sql-endless-view", "bolt-fanned-out"])
def test_users_hostile_podman_storage_cannot_hang_the_root_audit(plant: Callable[[HostileUser], Path], why: str,
                                                                 base: Path):
    with hostile_user() as user:
        planted = plant(user)
        assert planted.stat().st_uid == user.uid
        started = time.monotonic()
        done = run_hostaudit("audit", "--format", "json", *_where(base), timeout=OVERRUN)
        took = time.monotonic() - started
    report = json.loads(done.stdout)
    podman = report["collectors"]["podman"]
    assert podman["state"] == "error" and f"{planted}: " in podman["message"] and why in podman["message"]
    assert took < 20, f"the audit took {took:.1f} s"
    _no_timeouts_but(report, "podman")
    unknown = [f for f in report["findings"] if f["subject"]["key"] == "source:podman"]
    assert unknown and {f["status"] for f in unknown} == {"unknown"}


# the real command line, with the audit_rules collector (or the reading of the process table) never returning
STUCK = """
import sys, threading
from concurrent.futures import ThreadPoolExecutor
from hostaudit import collectors, console
from hostaudit.collectors import audit_rules

def spin(*args):
    while True:
        pass

def block(*args):
    threading.Event().wait()

def in_pool(*args):  # a pool's worker, which the interpreter's exit waits for
    ThreadPoolExecutor(1).submit(block).result()

how = sys.argv.pop(1)
if how == "process-table":
    collectors.process_table = block
else:
    audit_rules.collect = {"spin": spin, "block": block, "pool": in_pool}[how]
console.main()
"""
DEADLINE = 8.0


def _stuck(base: Path, how: str, output: str = "report.json") -> tuple[subprocess.CompletedProcess, Path, float]:
    """The run of an audit with something stuck in it, where it was to write its report, and how long it took."""
    out = base / output
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", STUCK, how, "audit", "--format", "json", "--output", str(out),
                           "--deadline", str(DEADLINE), *_where(base)], capture_output=True, text=True,
                          timeout=OVERRUN, cwd=base)
    return done, out, time.monotonic() - started


def _report(base: Path, how: str) -> tuple[dict, float]:
    """The report of an audit with something stuck in it, and how long the audit took."""
    done, out, took = _stuck(base, how)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    return json.loads(out.read_text()), took


@pytest.mark.parametrize("how", ["spin", "block", "pool"])
def test_stuck_collector_times_out_and_the_report_is_complete_within_the_deadline(how: str, base: Path):
    report, took = _report(base, how)
    assert took < DEADLINE + 5, f"the audit took {took:.1f} s"
    stuck = report["collectors"]["audit_rules"]
    assert stuck["state"] == "error" and stuck["message"] == f"audit_rules: timed out after {DEADLINE / 4:g} s"
    _no_timeouts_but(report, "audit_rules")
    rules = [f for f in report["findings"] if f["check_id"].startswith("host.audit_rule_")]
    assert rules and {f["status"] for f in rules} == {"unknown"}
    assert all("timed out" in json.dumps(f["evidence"]) for f in rules)


def test_process_table_that_cannot_be_read_in_time_leaves_every_collector_not_started_and_nothing_passed(
        base: Path):
    """Reading a process's cmdline can stall (its memory backed by a file that never answers): no collector may then
    judge the host from a missing table, so none starts, and the report says why, with no result `pass`."""
    report, took = _report(base, "process-table")
    assert took < DEADLINE + 5, f"the audit took {took:.1f} s"
    why = "not started: the process table could not be read (processes: timed out after 2 s)"
    assert {name: s["state"] for name, s in report["collectors"].items() if why not in s["message"]} == {}
    assert report["findings"] and "pass" not in {f["status"] for f in report["findings"]}


def test_stuck_collector_cannot_keep_the_process_alive_after_an_error(base: Path):
    """The report cannot be written (no such directory): exit 3 with one line, at once, though a pool's worker of
    the collector left behind still waits (the interpreter's own exit would wait for it for ever)."""
    done, _, took = _stuck(base, "pool", "no-such-dir/report.json")
    assert done.returncode == 3 and done.stderr.startswith("hostaudit: I/O error: ") and took < DEADLINE + 5
