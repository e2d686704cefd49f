"""The unit suite depends on nothing on the machine: the unit tests that used to audit the live host (the nightly
cron line), list its processes or read a containerd they found, give the same outcome in the same time while an
unprivileged user has left an endless Podman database in their home and runs processes named dockerd and kubelet.
The oracle is the pytest run itself, in its own process group, bounded and killed whole."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.hostile_user import hostile_user

ROOT = Path(__file__).resolve().parents[2]
# the unit tests that read the live host before the suite was made hermetic, and the guard's own tests
FORMER_OFFENDERS = ("tests/unit/test_report_cli.py::test_nightly_command_keeps_the_previous_report_as_baseline",
                    "tests/unit/test_schedule.py", "tests/unit/test_host_processes.py",
                    "tests/unit/test_live_host_guard.py", "tests/unit/test_docker_endpoint_bounds.py",
                    "tests/unit/test_docker_daemon_collect.py", "tests/unit/test_sockets_collector.py")
BOUND = 240.0  # seconds one run may take before its whole process group is killed


def endless_podman_db(path: Path) -> bytes:
    """A db.sql whose ContainerConfig is a view over a recursive CTE that never ends (and yields no row)."""
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE ContainerState (ID TEXT PRIMARY KEY, JSON TEXT);"
            "CREATE VIEW ContainerConfig AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) "
            "SELECT CAST(n AS TEXT) AS ID, NULL AS Name, NULL AS PodID, '{}' AS JSON FROM r WHERE n < 0;")
    return path.read_bytes()


def run_unit_tests() -> tuple[dict[str, int], float, str]:
    """The former offenders run by pytest: the count of each outcome, the wall time and the lines naming failures."""
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *FORMER_OFFENDERS],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    try:
        output, _ = process.communicate(timeout=BOUND)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"the unit tests did not end within {BOUND:.0f} s: something on the machine held them")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    elapsed = time.monotonic() - started
    last = output.strip().splitlines()[-1]
    outcomes = {word: int(count) for count, word in re.findall(r"(\d+) (passed|failed|error|errors|skipped)", last)}
    return outcomes, elapsed, "\n".join(line for line in output.splitlines() if line.startswith(("FAILED", "ERROR")))


@pytest.mark.skipif(os.geteuid() != 0, reason="creates a throw-away account")
def test_the_unit_tests_ignore_what_another_user_left(tmp_path):
    clean, clean_time, failures = run_unit_tests()
    assert clean.get("passed") and not failures, failures
    with hostile_user() as user:
        endless = endless_podman_db(tmp_path / "db.sql")
        # where Podman 4.8+ keeps it (the graph root, read by the podman collector), and beside bolt_state.db
        db = user.write(".local/share/containers/storage/db.sql", endless, 0o600)
        user.write(".local/share/containers/storage/libpod/db.sql", endless, 0o600)
        for name in ("dockerd", "kubelet"):
            user.spawn([str(user.binary(name)), "--config", str(db)], name=name)
        hostile, hostile_time, failures = run_unit_tests()
    assert hostile == clean, failures
    assert hostile_time < 2 * clean_time + 20, f"{hostile_time:.1f} s with the user's files, {clean_time:.1f} s without"
