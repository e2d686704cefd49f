"""What is in force, judged on real private daemons (issue 12): daemon.json edited after dockerd started, sockets that
really exist, one user-namespace rule for Docker and CRI, the same verdict through TCP, and no silent emptiness.

The oracles are the daemons themselves: /proc NoNewPrivs of a container dockerd started, the socket files dockerd and
containerd created, the exit code and collector status a sysadmin sees.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from pathlib import Path

import pytest

from hostaudit.daemon_settings import START_SLACK_S
from tests.engine.conftest import HARDENED, PRIVATE_CGROUP, needs_engine
from tests.lab import CTR_DROP_ALL, NONROOT_CTR_IMAGE, PrivateContainerd, PrivateDocker, lab_dir, run_hostaudit

pytestmark = needs_engine

EDITED = {"no-new-privileges": True, "userland-proxy": False, "log-level": "info"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def lab():
    """A dockerd (unix socket + a TCP listener on 127.0.0.1) started with log-level debug, then its daemon.json
    rewritten without a restart; a containerd with CRI-style pods."""
    base = lab_dir("ha12-")
    port = _free_port()
    docker = PrivateDocker(base / "docker", daemon_json={"log-level": "debug"},
                           extra_args=("-H", f"tcp://127.0.0.1:{port}"))
    containerd = PrivateContainerd(base / "containerd")
    try:
        docker.start()
        docker.build_image()
        docker.run("plain", *PRIVATE_CGROUP)
        docker.run("hardened", *HARDENED)
        docker.run("host-root", "-v", "/:/host:ro", *PRIVATE_CGROUP)
        docker.run("sock", "-v", f"{docker.socket}:/var/run/docker.sock", *PRIVATE_CGROUP)
        docker.run("sock-dir", "-v", f"{docker.socket.parent}:/lab:ro", *PRIVATE_CGROUP)
        time.sleep(START_SLACK_S + 1)  # the edit must be later than dockerd's start, beyond its clock uncertainty
        docker.config_file.write_text(json.dumps(EDITED))
        containerd.start()
        containerd.import_oci_image()
        containerd.import_oci_image(NONROOT_CTR_IMAGE, user="1000:1000")
        containerd.pod("k8s", "sockpod", {"app": (
            "--mount", "type=bind,src=/,dst=/host,options=rbind:ro",
            "--mount", f"type=bind,src={containerd.socket},dst=/run/containerd/containerd.sock,options=rbind:rw",
            "--seccomp")})
        containerd.pod("k8s", "hardened", {"web": ("--seccomp", "--read-only", *CTR_DROP_ALL, "--memory-limit",
                                                   str(64 << 20))}, image=NONROOT_CTR_IMAGE)
        yield docker, containerd, port
    finally:
        containerd.stop()
        docker.stop()
        shutil.rmtree(base, ignore_errors=True)


def _audit(docker_host: str, containerd: PrivateContainerd) -> dict:
    done = run_hostaudit("audit", "--format", "json", "--docker-host", docker_host,
                         "--containerd-state", str(containerd.state))
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def report(lab) -> dict:
    docker, containerd, _ = lab
    return _audit(docker.url, containerd)


def _finding(report: dict, check_id: str, subject: str) -> dict:
    return next(f for f in report["findings"] if f["check_id"] == check_id and f["subject"]["name"] == subject)


def _daemon_finding(report: dict, check_id: str) -> dict:
    """The result on the endpoint's dockerd (subject key `daemon`; its name says its socket, pid and owner)."""
    return next(f for f in report["findings"] if f["check_id"] == check_id and f["subject"]["key"] == "daemon")


def _verdict(report: dict, subject: str) -> str:
    return next(v["verdict"] for v in report["escapes"] if v["subject"]["name"] == subject)


def test_the_oracle_dockerd_still_runs_with_the_old_settings(lab):
    docker, _, _ = lab
    pid = docker.docker("inspect", "-f", "{{.State.Pid}}", "plain").stdout.decode().strip()
    status = Path(f"/proc/{pid}/status").read_text()
    assert "NoNewPrivs:\t0" in status  # daemon.json now says true: not in force
    assert b"level=debug" in docker.log.read_bytes()  # started with log-level debug, still logs at debug


def test_no_new_privileges_written_after_start_is_not_in_force(report):
    found = _daemon_finding(report, "daemon.no_new_privileges_default_off")
    assert found["status"] == "fail", found
    assert found["evidence"]["source"].startswith("/proc NoNewPrivs 0")
    assert found["evidence"]["daemon.json: no-new-privileges"] is True
    assert "not in force until dockerd restarts" in found["evidence"]["drift"]


@pytest.mark.parametrize("check_id", ["daemon.userland_proxy_enabled", "daemon.log_level_not_info"])
def test_settings_written_after_start_are_unknown_not_pass(report, check_id):
    found = _daemon_finding(report, check_id)
    assert found["status"] == "unknown", found
    assert "not in force until dockerd restarts" in found["detail"]
    assert found["evidence"]["dockerd.started_at"] < found["evidence"]["daemon.json.modified_at"]


def test_host_root_evidence_names_only_sockets_that_exist(report, lab):
    docker, _, _ = lab
    found = _finding(report, "container.docker_socket_mounted", "host-root")
    assert found["status"] == "fail"
    named = [found["evidence"]["socket"], *(text.split(" (")[0] for text in found["evidence"].get("exposed", []))]
    missing = [path for path in named if not os.path.exists(path)]
    assert not missing, missing
    assert str(docker.socket) in named
    if not os.path.exists("/var/run/docker.sock"):
        assert "/var/run/docker.sock" not in json.dumps(found["evidence"])


def test_the_socket_directory_mount_exposes_the_real_socket(report, lab):
    docker, _, _ = lab
    found = _finding(report, "container.docker_socket_mounted", "sock-dir")
    assert found["status"] == "fail"
    assert (found["evidence"]["mount.source"], found["evidence"]["socket"]) == (str(docker.base), str(docker.socket))
    assert found["evidence"]["socket.daemon"] == f"dockerd (pid {docker.pid})"


def test_a_pod_mounting_the_containerd_socket_is_credited_to_that_mount(report, lab):
    _, containerd, _ = lab
    found = _finding(report, "container.docker_socket_mounted", "k8s/sockpod/app")
    assert found["status"] == "fail"
    assert found["evidence"]["mount.source"] == str(containerd.socket)
    assert found["evidence"]["mount.destination"] == "/run/containerd/containerd.sock"
    assert found["evidence"]["socket"] == str(containerd.socket)
    assert _verdict(report, "k8s/sockpod/app") == "escapable"


def test_hardened_docker_container_and_hardened_cri_pod_are_both_contained(report):
    for name in ("hardened", "k8s/hardened/web"):
        verdict = next(v for v in report["escapes"] if v["subject"]["name"] == name)
        assert verdict["verdict"] == "contained", verdict
    assert _finding(report, "container.host_userns", "k8s/hardened/web")["status"] == "not_applicable"


def test_sandboxes_are_not_counted(report):
    names = {c["name"] for c in report["containers"]}
    assert not [n for n in names if n.endswith("(sandbox)")]
    assert report["summary"]["pods"] == 2
    assert report["summary"]["containers"] == len(report["containers"]) == 7


def test_auditing_through_tcp_gives_the_same_verdict_for_the_mounted_unix_socket(report, lab):
    docker, containerd, port = lab
    through_tcp = _audit(f"tcp://127.0.0.1:{port}", containerd)
    assert _verdict(report, "sock") == "escapable"
    assert _verdict(through_tcp, "sock") == "escapable"
    found = _finding(through_tcp, "container.docker_socket_mounted", "sock")
    assert found["evidence"]["socket"] == str(docker.socket)
    assert through_tcp["collectors"]["docker_daemon"]["state"] == "ok"


def test_the_dockerd_behind_a_tcp_endpoint_is_identified_by_its_listening_port(lab, tmp_path):
    docker, _, port = lab
    facts = tmp_path / "facts.json"
    run_hostaudit("collect", "--docker-host", f"tcp://127.0.0.1:{port}", "--out", str(facts))
    daemon = json.loads(facts.read_text())["docker_daemon"]
    assert daemon["pid"] == docker.pid
    assert str(docker.socket) in [s["path"] for s in daemon["sockets"]]


def test_a_wrong_containerd_state_is_a_usage_error(lab):
    docker, containerd, _ = lab
    done = run_hostaudit("audit", "--format", "json", "--docker-host", docker.url, "--containerd-state",
                         str(containerd.base), check_codes=(2,))
    assert "no io.containerd.runtime.v2.task directory" in done.stderr
    assert done.stdout == ""


def test_a_running_dockerd_without_its_socket_is_an_error_not_absent():
    base = lab_dir("ha12s-")
    docker = PrivateDocker(base / "docker")
    try:
        docker.start()
        docker.socket.unlink()
        done = run_hostaudit("audit", "--format", "json", "--docker-host", docker.url, "--fail-on", "high",
                             check_codes=(0, 1, 2))
        report = json.loads(done.stdout)
        for name in ("docker_daemon", "containers"):
            assert report["collectors"][name]["state"] == "error", report["collectors"][name]
            assert f"dockerd (pid {docker.pid}) is running" in report["collectors"][name]["message"]
        daemon = [f for f in report["findings"] if f["check_id"].startswith("daemon.")]
        passing = {f["check_id"]: f["evidence"] for f in daemon if f["status"] == "pass"}
        assert daemon and not passing, passing
    finally:
        docker.stop()
        shutil.rmtree(base, ignore_errors=True)
