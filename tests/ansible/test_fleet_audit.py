"""The fleet playbook on three inventory hosts of this machine, each aimed at its own private dockerd (one down).

node-a installs hostaudit from the wheel built here into a virtualenv (the install path users take); the other
hosts use that install. Reports come back flat as <host>.json and `hostaudit fleet` merges them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

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
        })
        run = ansible_playbook(PLAYBOOK, inventory, "-e", f"hostaudit_virtualenv={venv}", "-e",
                               f"hostaudit_fleet_dir={base / 'fleet'}", "-e", f"hostaudit_remote_dir={base / 'remote'}")
        yield {"base": base, "run": run, "venv": venv, "fleet": base / "fleet"}
    finally:
        weak.stop()
        tidy.stop()
        shutil.rmtree(base, ignore_errors=True)


def test_playbook_runs_on_every_host(fleet_run):
    run = fleet_run["run"]
    assert run.returncode == 0, run.output[-4000:]
    assert {"node-a", "node-b", "node-down", "localhost"} <= set(run.recap)
    assert (fleet_run["venv"] / "bin" / "hostaudit").exists(), "hostaudit was installed from the wheel"


def test_reports_are_fetched_flat_per_host(fleet_run):
    names = sorted(p.name for p in fleet_run["fleet"].iterdir())
    assert {"node-a.json", "node-b.json", "node-down.json", "fleet.json", "fleet.html"} <= set(names)
    report = json.loads((fleet_run["fleet"] / "node-a.json").read_text())
    assert report["host"]["docker_endpoint"].endswith("/a/docker.sock")


def test_fleet_report_puts_the_escapable_host_first(fleet_run):
    fleet = json.loads((fleet_run["fleet"] / "fleet.json").read_text())
    hosts = {h["name"]: h for h in fleet["hosts"]}
    # containerd tasks discovered on this machine show up on every host; Docker containers only on their own
    assert "sock" in [e["container"] for e in hosts["node-a"]["escapable"]]
    assert "sock" not in [e["container"] for e in hosts["node-b"]["escapable"]]
    names = [h["name"] for h in fleet["hosts"]]
    assert names.index("node-a") < names.index("node-b")
    assert fleet["matrix"]["node-a"]["container.docker_socket_mounted"] == "fail"
    assert fleet["matrix"]["node-b"]["daemon.live_restore_disabled"] == "pass"
    assert fleet["matrix"]["node-a"]["daemon.live_restore_disabled"] == "fail"
    assert fleet["matrix"]["node-down"]["daemon.icc_enabled"] != "pass", "a daemon that is not there is not a pass"
    html = (fleet_run["fleet"] / "fleet.html").read_text()
    assert "node-down" in html and "sock" in html
