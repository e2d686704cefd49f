"""The unit suite never audits the machine it runs on (tests/unit/conftest.py, tests/unit/live_host): a collection
without a fixture root is refused in the test process and in every `hostaudit` the suite starts, before anything is
read; a fixture root is collected as usual."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hostaudit import engine
from hostaudit.collectors import CollectContext
from hostaudit.collectors._fs import use_host_root
from tests.unit.live_host.sitecustomize import LIVE_HOST_EXIT, REFUSAL, LiveHostCollect


def test_collecting_the_live_host_is_refused_in_the_test_process():
    with pytest.raises(LiveHostCollect, match="refused to collect from the live host"):
        engine.collect(CollectContext())


@pytest.mark.parametrize("argv", [["hostaudit", "audit", "--format", "json"],
                                  [sys.executable, "-m", "hostaudit", "collect"]])
def test_collecting_the_live_host_is_refused_in_a_subprocess(tmp_path, argv):
    done = subprocess.run([*argv, "--docker-host", f"unix://{tmp_path}/absent.sock"], capture_output=True,
                          text=True, timeout=60, cwd=tmp_path)
    assert (done.returncode, done.stderr, done.stdout) == (LIVE_HOST_EXIT, REFUSAL + "\n", "")


def test_listing_the_live_hosts_processes_is_refused(tmp_path):
    with pytest.raises(LiveHostCollect):
        CollectContext().processes  # noqa: B018 - the property reads the process table
    (tmp_path / "proc").symlink_to("/proc")  # a host root whose /proc is this machine's is no fixture
    use_host_root(str(tmp_path))
    try:
        with pytest.raises(LiveHostCollect):
            CollectContext(host_root=str(tmp_path)).processes  # noqa: B018
    finally:
        use_host_root("/")


def test_a_fixture_root_is_collected(tmp_path):
    """An empty host tree: every collector answers for it (absent or failed), none is refused."""
    (tmp_path / "proc").mkdir()
    try:
        snapshot = engine.collect(CollectContext(host_root=str(tmp_path), docker_host=f"unix://{tmp_path}/no.sock"))
    finally:
        use_host_root("/")
    assert {"host", "docker_daemon", "containers", "runtime"} <= set(snapshot.collectors)
    assert snapshot.docker_engines == ()  # the tree's empty /proc runs no dockerd, whatever this machine runs
