"""CIS daemon and file checks against a private dockerd started with a weak daemon.json: the audit reads the
running daemon (its daemon.json, /info and socket), not a fixed path or a text pattern."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from tests.engine.conftest import needs_engine
from tests.lab import PrivateDocker, lab_dir, run_hostaudit

pytestmark = needs_engine

WEAK_CONFIG = {
    "log-level": "debug",
    "userland-proxy": False,
    "insecure-registries": ["10.0.0.0/8"],
    "no-new-privileges": True,  # (not icc: false, which dockerd refuses next to the lab's --iptables=false)
    "experimental": True,
    "default-ulimits": {"nofile": {"Name": "nofile", "Soft": 1024, "Hard": 2048}},
}


@pytest.fixture(scope="module")
def weak_daemon():
    base = lab_dir("ha-cfg-")
    docker = PrivateDocker(base / "docker", daemon_json=WEAK_CONFIG)
    try:
        docker.start()
        os.chmod(docker.socket, 0o606)  # our own daemon's socket: world read/write, which 606 <= 660 hid
        yield docker
    finally:
        docker.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def findings(weak_daemon) -> dict[tuple[str, str], dict]:
    done = run_hostaudit("audit", "--format", "json", "--docker-host", weak_daemon.url)
    return {(f["check_id"], f["subject"]["name"]): f for f in json.loads(done.stdout)["findings"]}


def _daemon(findings, check_id: str) -> dict:
    """The result on the endpoint's dockerd (subject key `daemon`; its name says its socket, pid and owner)."""
    return next(f for (cid, _), f in findings.items() if cid == check_id and f["subject"]["key"] == "daemon")


def test_weak_settings_in_daemon_json_fail(findings, weak_daemon):
    level = _daemon(findings, "daemon.log_level_not_info")
    assert level["status"] == "fail"
    assert level["evidence"]["effective"] == "debug"
    assert level["evidence"]["source"] == f"daemon.json ({weak_daemon.config_file})"
    registries = _daemon(findings, "daemon.insecure_registries")
    assert registries["status"] == "fail"
    assert registries["evidence"]["api.insecure_registry_cidrs"] == ["10.0.0.0/8"]
    experimental = _daemon(findings, "daemon.experimental_enabled")
    assert experimental["status"] == "fail"
    assert experimental["evidence"]["source"] == "api /info"


def test_hardened_settings_in_daemon_json_pass(findings):
    assert _daemon(findings, "daemon.userland_proxy_enabled")["status"] == "pass"
    assert _daemon(findings, "daemon.no_new_privileges_default_off")["status"] == "pass"
    ulimits = _daemon(findings, "daemon.no_default_ulimits")
    assert ulimits["status"] == "pass"
    assert ulimits["evidence"]["default-ulimits"] == ["nofile"]


def test_command_line_flags_of_the_running_daemon_are_read(findings):
    iptables = _daemon(findings, "daemon.iptables_disabled")  # the lab starts dockerd with --iptables=false
    assert iptables["status"] == "fail"
    assert iptables["evidence"]["source"] == "argv"


def test_no_swarm_means_not_applicable_for_swarm_checks(findings):
    assert _daemon(findings, "daemon.swarm_mode_active")["status"] == "pass"
    assert _daemon(findings, "daemon.swarm_autolock_disabled")["status"] == "not_applicable"


def test_the_daemons_own_socket_and_config_file_are_judged(findings, weak_daemon):
    sock = findings[("files.docker_sock_permissive_mode", str(weak_daemon.socket))]
    assert sock["status"] == "fail"
    assert sock["evidence"]["mode"] == "0606"
    config = findings[("files.daemon_json_permissive_mode", str(weak_daemon.config_file))]
    assert config["status"] == "pass"
    rule = findings[("host.audit_rule_missing_docker_data_root", str(weak_daemon.base / "data"))]
    assert rule["status"] in ("fail", "unknown")  # no audit rule watches a fresh temporary data root
