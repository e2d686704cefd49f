"""The root audit is bounded in time: an unprivileged user's Podman storage, or a collector stuck for good, costs at
most its deadline, and the report is still complete and written.

The oracles: a throw-away host account (tests/hostile_user.py) owns the crafted storage in its home (the files made
by the real sqlite3 module, or bbolt pages laid out byte for byte); the audit is the real `hostaudit` command, timed
from outside and killed by the test when it overruns, so that a hang is a failure and never a hung suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hostile_storage import fanned_out_bolt, libpod_sqlite
from tests.hostile_user import HostileUser, hostile_user
from tests.lab import empty_containerd_state, lab_dir, run_hostaudit

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: creates a host account")

STORAGE = ".local/share/containers/storage"
OVERRUN = 60  # seconds after which the test kills the audit: far beyond any bound it has


def _endless_view(user: HostileUser) -> Path:
    made = libpod_sqlite(lab_dir("hd-") / "db.sql", endless_view=True)
    return user.write(f"{STORAGE}/db.sql", made.read_bytes())


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
def test_users_hostile_podman_storage_cannot_hang_the_root_audit(plant: Callable[[HostileUser], Path], why: str):
    base = lab_dir("hd-")
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


# the real command line, with one collector replaced by one that never returns
STUCK = """
import sys, threading
from hostaudit import cli
from hostaudit.collectors import audit_rules

def spin(ctx):
    while True:
        pass

audit_rules.collect = spin if sys.argv[1] == "spin" else lambda ctx: threading.Event().wait()
sys.argv[1:] = sys.argv[2:]
cli.main()
"""


@pytest.mark.parametrize("how", ["spin", "block"])
def test_stuck_collector_times_out_and_the_report_is_complete_within_the_deadline(how: str):
    base = lab_dir("hd-")
    out = base / "report.json"
    deadline = 8.0
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", STUCK, how, "audit", "--format", "json", "--output", str(out),
                           "--deadline", str(deadline), *_where(base)], capture_output=True, text=True,
                          timeout=OVERRUN, cwd=base)
    took = time.monotonic() - started
    assert done.returncode in (0, 1), done.stderr[-2000:]
    assert took < deadline + 5, f"the audit took {took:.1f} s"
    report = json.loads(out.read_text())
    stuck = report["collectors"]["audit_rules"]
    assert stuck["state"] == "error" and stuck["message"] == f"audit_rules: timed out after {deadline / 4:g} s"
    _no_timeouts_but(report, "audit_rules")
    rules = [f for f in report["findings"] if f["check_id"].startswith("host.audit_rule_")]
    assert rules and {f["status"] for f in rules} == {"unknown"}
    assert all("timed out" in json.dumps(f["evidence"]) for f in rules)
