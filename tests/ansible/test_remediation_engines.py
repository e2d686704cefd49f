"""Remediation aimed at each dockerd (issue 26): two private rootful dockerds, no default socket, audited together;
each fails a key the other passes. The generated playbook, applied by the real ansible-playbook, writes each key to
the daemon.json of the dockerd whose check failed, and that daemon, restarted, runs with it: the running daemons are
the oracle (`docker info`, and a container's /proc NoNewPrivs).

The report is scoped to the lab's two dockerds and the two keys under test before `hostaudit remediate` reads it:
other dockerds on this machine (other tests' labs) must never get a play, and the host keys would write /etc."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from hostaudit.remediation.unsafe import load_playbook
from tests.ansible.conftest import ansible_playbook, local_inventory, needs_ansible, needs_engine
from tests.lab import PrivateDocker, empty_containerd_state, lab_dir, run_hostaudit

pytestmark = [needs_ansible, needs_engine, pytest.mark.skipif(
    os.path.lexists("/var/run/docker.sock") or os.path.lexists("/run/docker.sock"),
    reason="this host has a default Docker socket: the scenario is a host without one")]
RESTART = Path(__file__).with_name("restart_dockerd.py")
CHECKS = {"daemon.live_restore_disabled": "live_restore", "daemon.no_new_privileges_default_off": "no_new_privileges"}


def _scoped(report: dict, sockets: set[str]) -> dict:
    """The report as a host whose only dockerds are the lab's, with only the checks under test."""
    engines = [e for e in report["engines"] if e["endpoint"] in sockets]
    subjects = {e["subject"] for e in engines}
    findings = [f for f in report["findings"] if f["check_id"] in CHECKS and f["subject"]["key"] in subjects]
    return report | {"engines": engines, "findings": findings}


@pytest.fixture(scope="module")
def applied():
    base = lab_dir("a0-")  # sorts before other labs' sockets: the first dockerd is the endpoint
    first = PrivateDocker(base / "a", daemon_json={"live-restore": True})
    second = PrivateDocker(base / "b", daemon_json={"no-new-privileges": True})
    try:
        for docker in (first, second):
            docker.start()
            docker.build_image()
        report = json.loads(run_hostaudit("audit", "--format", "json", "--containerd-state",
                                          str(empty_containerd_state(base))).stdout)
        endpoint = next(e for e in report["engines"] if e["subject"] == "daemon")
        if endpoint["endpoint"] != first.url:
            pytest.skip(f"another dockerd on this machine is the audit's endpoint: {endpoint['endpoint']}")
        (base / "report.json").write_text(json.dumps(_scoped(report, {first.url, second.url})))
        pidfile = first.base / "dockerd.pid"
        remediated = run_hostaudit(
            "remediate", "--from", str(base / "report.json"), "--out", str(base / "fix.yml"),
            "--daemon-json", str(first.config_file), "--docker-host", first.url,
            "--restart-command", f"{sys.executable} {RESTART} {pidfile} {first.socket} {first.log}",
            check_codes=(0,))
        run = ansible_playbook(base / "fix.yml", local_inventory(base / "inventory.yml"), "--diff")
        if pidfile.exists():
            first.pid = int(pidfile.read_text())  # restarted by the play: the new one is stopped at the end
        yield {"first": first, "second": second, "run": run, "report": report, "log": remediated.stderr,
               "plays": load_playbook((base / "fix.yml").read_text())}
    finally:
        for docker in (first, second):
            docker.stop()
        shutil.rmtree(base, ignore_errors=True)


def _enabled(play: dict) -> set[str]:
    return {k.removeprefix("container_hardening_").removesuffix("_enabled") for k, v in play["vars"].items()
            if k.endswith("_enabled") and v is True}


def test_each_key_is_aimed_at_the_dockerd_whose_check_failed(applied):
    first, second = applied["first"], applied["second"]
    statuses = {(f["check_id"], f["subject"]["key"]): f["status"] for f in applied["report"]["findings"]}
    subject = {e["endpoint"]: e["subject"] for e in applied["report"]["engines"]}
    assert statuses[("daemon.live_restore_disabled", subject[first.url])] == "pass"
    assert statuses[("daemon.live_restore_disabled", subject[second.url])] == "fail"
    assert statuses[("daemon.no_new_privileges_default_off", subject[first.url])] == "fail"
    assert statuses[("daemon.no_new_privileges_default_off", subject[second.url])] == "pass"
    endpoint_play, other_play = applied["plays"]
    assert _enabled(endpoint_play) == {"no_new_privileges"}
    assert _enabled(other_play) == {"live_restore"}
    assert other_play["vars"]["container_hardening_daemon_json_path"] == str(second.config_file)
    assert other_play["vars"]["container_hardening_docker_host"] == second.url
    assert other_play["vars"]["container_hardening_restart_method"] == "none"


def test_the_play_runs_and_each_daemon_reads_its_own_fix(applied):
    first, second = applied["first"], applied["second"]
    run = applied["run"]
    assert run.returncode == 0, run.output[-4000:]
    assert json.loads(first.config_file.read_text()) == {"live-restore": True, "no-new-privileges": True}
    assert json.loads(second.config_file.read_text()) == {"no-new-privileges": True, "live-restore": True}
    # the endpoint's dockerd was restarted by the play: a container it starts now has no-new-privileges
    first.docker("run", "-d", "--name", "nnp", "--network", "none", "hostaudit-lab/busybox:1")
    pid = first.docker("inspect", "-f", "{{.State.Pid}}", "nnp").stdout.decode().strip()
    with open(f"/proc/{pid}/status") as status:
        assert "NoNewPrivs:\t1" in status.read()
    # the other one is not restarted by the play (how it was started is not known): its fix is in force after a restart
    assert second.docker("info", "--format", "{{.LiveRestoreEnabled}}").stdout.decode().strip() == "false"
    second.restart()
    assert second.docker("info", "--format", "{{.LiveRestoreEnabled}}").stdout.decode().strip() == "true"
