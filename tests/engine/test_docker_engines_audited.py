"""Every dockerd on the host audited whole, each with its own settings (issue 26): two private rootful dockerds on
sockets of their own, no socket at the default path, one of them also serving its API on plain TCP, audited without
--docker-host. The oracles are the daemons themselves: what a client without a certificate gets from the TCP
listener, and the containers each daemon lists through its own socket."""

from __future__ import annotations

import json
import os
import shutil
import socket
import urllib.request

import pytest

from tests.engine.conftest import needs_engine
from tests.lab import PrivateDocker, empty_containerd_state, lab_dir, run_hostaudit

pytestmark = [needs_engine, pytest.mark.skipif(
    os.path.lexists("/var/run/docker.sock") or os.path.lexists("/run/docker.sock"),
    reason="this host has a default Docker socket: the scenario is a host without one")]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def lab():
    base = lab_dir("he-")
    port = _free_port()
    exposed = PrivateDocker(base / "tcp", extra_args=("-H", f"tcp://127.0.0.1:{port}"))
    quiet = PrivateDocker(base / "live-restore", daemon_json={"live-restore": True})
    try:
        for docker in (exposed, quiet):
            docker.start()
            docker.build_image()
            docker.run("he-one", "--network", "none")
        report = json.loads(run_hostaudit("audit", "--format", "json", "--containerd-state",
                                          str(empty_containerd_state(base))).stdout)
        yield exposed, quiet, port, report
    finally:
        for docker in (exposed, quiet):
            docker.stop()
        shutil.rmtree(base, ignore_errors=True)


def _engine(report: dict, docker: PrivateDocker) -> dict:
    return next(e for e in report["engines"] if e["endpoint"] == docker.url)


def _result(report: dict, check_id: str, docker: PrivateDocker) -> dict:
    subject = _engine(report, docker)["subject"]
    found = [f for f in report["findings"] if f["check_id"] == check_id and f["subject"]["key"] == subject]
    assert len(found) == 1, (check_id, subject, found)
    return found[0]


def test_the_plain_tcp_api_fails_naming_its_address(lab):
    exposed, quiet, port, report = lab
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/version", timeout=10) as answer:  # no certificate asked
        assert json.load(answer)["Version"]
    failed = _result(report, "daemon.tcp_without_tls", exposed)
    assert failed["status"] == "fail"
    assert any(item.startswith(f"127.0.0.1:{port} ") for item in failed["evidence"]["without_tlsverify"])
    assert str(exposed.socket) in failed["subject"]["name"]
    assert _result(report, "daemon.tcp_without_tls", quiet)["status"] == "pass"
    icc = _result(report, "daemon.icc_enabled", exposed)  # the same daemon's inter-container communication
    assert icc["status"] == "fail"


def test_each_daemon_is_judged_by_its_own_settings(lab):
    exposed, quiet, _, report = lab
    for docker in (exposed, quiet):  # icc on, as dockerd defaults (icc off needs iptables, which the lab keeps off)
        icc = _result(report, "daemon.icc_enabled", docker)
        assert (icc["status"], icc["evidence"]["source"]) == ("fail", "default")
    live_restore = [docker.docker("info", "--format", "{{.LiveRestoreEnabled}}").stdout.decode().strip()
                    for docker in (exposed, quiet)]
    assert live_restore == ["false", "true"]
    off = _result(report, "daemon.live_restore_disabled", exposed)
    on = _result(report, "daemon.live_restore_disabled", quiet)
    assert (off["status"], off["evidence"]["live-restore"]) == ("fail", False)
    assert (on["status"], on["evidence"]["live-restore"]) == ("pass", True)
    assert _engine(report, exposed)["error"] is None and _engine(report, quiet)["error"] is None


def test_the_headline_and_the_engines_list_name_both_daemons(lab):
    exposed, quiet, _, report = lab
    for docker in (exposed, quiet):
        version = docker.docker("version", "--format", "{{.Server.Version}}").stdout.decode().strip()
        engine = _engine(report, docker)
        assert (engine["version"], engine["owner"], engine["rootless"]) == (version, "root", False)
        assert str(docker.socket) in report["host"]["docker"] and version in report["host"]["docker"]
    assert "daemons:" in report["host"]["docker"]


def test_no_container_is_counted_twice(lab):
    exposed, quiet, _, report = lab
    ids = [docker.docker("inspect", "--format", "{{.Id}}", "he-one").stdout.decode().strip()
           for docker in (exposed, quiet)]
    keys = [c["key"] for c in report["containers"]]
    assert len(keys) == len(set(keys))
    assert sum(1 for c in report["containers"] if c["name"].endswith("he-one")) == 2
    assert len(set(ids)) == 2
