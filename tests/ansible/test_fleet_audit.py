"""The fleet playbook on inventory hosts of this machine, each aimed at its own private dockerd, one at a socket
where no dockerd listens, and one host that cannot be reached at all.

node-a installs hostaudit from the wheel built here into a virtualenv (the install path users take); the other
hosts use that install. Reports come back into a fresh run directory as <host>.json and `hostaudit fleet` merges
them; the wrong socket and the unreachable host are "not audited" and fail the run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ansible.conftest import ROLE, ansible_playbook, local_inventory, needs_ansible, needs_engine
from tests.lab import PrivateDocker, lab_dir

pytestmark = [needs_ansible, needs_engine]
PLAYBOOK = ROLE.parents[1] / "playbooks" / "fleet-audit.yml"


@pytest.fixture(scope="module")
def fleet_run():
    base = lab_dir("ha-fleet-")
    weak, tidy = PrivateDocker(base / "a"), PrivateDocker(base / "b", daemon_json={"icc": False, "iptables": True})
    try:
        subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(base / "dist"),
                        str(ROLE.parents[2])], check=True, capture_output=True, timeout=300)
        wheel = next((base / "dist").glob("hostaudit-*.whl"))
        weak.start()
        weak.build_image()
        weak.run("sock", "-v", f"{weak.socket}:/var/run/docker.sock", "--cgroupns", "private")
        tidy.daemon_json = {"live-restore": True}
        tidy.start()
        venv = base / "venv"
        inventory = local_inventory(base / "inventory.yml", {
            "node-a": {"docker_host": weak.url, "hostaudit_package": str(wheel)},
            "node-b": {"docker_host": tidy.url},
            "node-down": {"docker_host": f"unix://{base}/nothing.sock"},
            "node-found": {},  # no endpoint named, no default socket on this machine: its dockerds are found
            "node-gone": {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 1},
        })
        (base / "fleet").mkdir()
        (base / "fleet" / "node-gone.json").write_text(json.dumps({"findings": []}))  # a stale report
        run = ansible_playbook(PLAYBOOK, inventory, "-e", f"hostaudit_virtualenv={venv}", "-e",
                               f"hostaudit_controller_command={venv / 'bin' / 'hostaudit'}", "-e",
                               f"hostaudit_fleet_dir={base / 'fleet'}", "-e", f"hostaudit_remote_dir={base / 'remote'}")
        yield {"base": base, "run": run, "venv": venv, "fleet": base / "fleet" / "latest"}
    finally:
        weak.stop()
        tidy.stop()
        shutil.rmtree(base, ignore_errors=True)


def by_file(fleet: dict) -> dict[str, dict]:
    """Hosts of the fleet document by inventory name (their report file, or the name given to --not-audited)."""
    return {Path(h["source"]).name.removesuffix(".json") if h["source"] else h["name"]: h for h in fleet["hosts"]}


def test_playbook_fails_because_hosts_were_not_audited(fleet_run):
    run = fleet_run["run"]
    assert run.returncode != 0, run.output[-4000:]
    assert {"node-a", "node-b", "node-down", "node-found", "node-gone", "localhost"} <= set(run.recap)
    assert run.recap["node-gone"]["unreachable"] == 1
    assert (fleet_run["venv"] / "bin" / "hostaudit").exists(), "hostaudit was installed from the wheel"


def test_reports_land_in_a_fresh_private_run_directory(fleet_run):
    run_dir = fleet_run["fleet"]
    assert run_dir.is_symlink() and run_dir.resolve().parent == fleet_run["base"] / "fleet"
    assert run_dir.resolve().stat().st_mode & 0o777 == 0o700
    names = sorted(p.name for p in run_dir.iterdir())
    assert names == ["fleet.html", "fleet.json", "node-a.json", "node-b.json", "node-down.json", "node-found.json"], \
        "no stale report"
    assert all((run_dir / n).stat().st_mode & 0o777 == 0o600 for n in names if n.startswith("node-"))
    report = json.loads((run_dir / "node-a.json").read_text())
    assert report["host"]["docker_endpoint"].endswith("/a/docker.sock")


def test_wrong_socket_and_unreachable_hosts_are_not_audited(fleet_run):
    fleet = json.loads((fleet_run["fleet"] / "fleet.json").read_text())
    hosts = by_file(fleet)
    assert "could not be read" in hosts["node-down"]["error"]
    assert "unreachable" in hosts["node-gone"]["error"]
    assert hosts["node-a"]["error"] is None and hosts["node-b"]["error"] is None
    found_in_error = hosts["node-found"]["error"] is not None  # see the test below
    assert fleet["summary"]["hosts"] == 5 and fleet["summary"]["hosts_in_error"] == 2 + found_in_error
    assert [h["error"] is not None for h in fleet["hosts"]][:2] == [True, True], "hosts not audited rank first"


def test_fleet_report_shows_each_hosts_own_escapable_containers(fleet_run):
    fleet = json.loads((fleet_run["fleet"] / "fleet.json").read_text())
    hosts = by_file(fleet)
    # containerd tasks discovered on this machine show up on every host; Docker containers only on their own
    assert "sock" in [e["container"] for e in hosts["node-a"]["escapable"]]
    assert "sock" not in [e["container"] for e in hosts["node-b"]["escapable"]]
    # (no order between node-a and node-b: containerd tasks of other engines on this machine count on both)
    names = [h["name"] for h in fleet["hosts"]]
    assert len(set(names)) == 5, "hosts with the same hostname are kept apart"
    assert fleet["matrix"][hosts["node-a"]["name"]]["container.docker_socket_mounted"] == "fail"
    assert fleet["matrix"][hosts["node-b"]["name"]]["daemon.live_restore_disabled"] == "pass"
    assert fleet["matrix"][hosts["node-a"]["name"]]["daemon.live_restore_disabled"] == "fail"
    assert hosts["node-down"]["name"] not in fleet["matrix"], "a daemon that is not there is not a pass"
    html = (fleet_run["fleet"] / "fleet.html").read_text()
    assert "node-down" in html and "node-gone" in html and "sock" in html


@pytest.mark.skipif(Path("/var/run/docker.sock").exists() or Path("/run/docker.sock").exists(),
                    reason="this machine has a default Docker socket")
def test_a_host_without_a_default_socket_is_audited_through_the_dockerds_found(fleet_run):
    """Issue 26: the host's dockerds listen on sockets of their own only; each was found and read, so the host was
    audited, each daemon judged under its own subject."""
    fleet = json.loads((fleet_run["fleet"] / "fleet.json").read_text())
    found = by_file(fleet)["node-found"]
    report = json.loads((fleet_run["fleet"] / "node-found.json").read_text())
    endpoints = {e["endpoint"]: e for e in report["engines"]}
    ours = {f"unix://{fleet_run['base']}/a/docker.sock", f"unix://{fleet_run['base']}/b/docker.sock"}
    assert ours <= set(endpoints) and all(endpoints[e]["error"] is None for e in ours)
    # other tests' dockerds on this machine are engines of this host too: one stopping mid-audit is one not read
    unread = [e for e in report["engines"] if e["error"]]
    assert (found["error"] is None) == (not unread), (found["error"], unread)
    assert "sock" in [e["container"].rpartition("/")[2] for e in found["escapable"]]
    live_restore = {f["subject"]["key"]: f["status"] for f in report["findings"]
                    if f["check_id"] == "daemon.live_restore_disabled"}
    assert live_restore[endpoints[f"unix://{fleet_run['base']}/a/docker.sock"]["subject"]] == "fail"
    assert live_restore[endpoints[f"unix://{fleet_run['base']}/b/docker.sock"]["subject"]] == "pass"
