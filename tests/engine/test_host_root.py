"""`--host-root`: the audit run inside a container (the image built from this repository by scripts/build-image.sh,
no registry) with the host's / mounted read-only names the same containers with the same verdicts as a run on the
host. The oracle is the host run of the installed `hostaudit`, against the same private dockerd."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.engine.conftest import HARDENED, PRIVATE_CGROUP, needs_engine
from tests.lab import PrivateDocker, lab_dir, run_hostaudit

REPO = Path(__file__).resolve().parents[2]
IMAGE = "hostaudit-test:local"
# debootstrap's root is kept here between runs on one machine; CI starts without it and builds it (a few minutes)
ROOTFS_CACHE = os.environ.get("HOSTAUDIT_ROOTFS_CACHE", "/tmp/hostaudit-rootfs-cache")

pytestmark = [needs_engine, pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("debootstrap") is None, reason="needs root and debootstrap")]


@pytest.fixture(scope="module")
def lab():
    base = lab_dir("hh-")
    docker = PrivateDocker(base / "docker")
    try:
        docker.start()
        docker.build_image()
        docker.run("hr-priv", "--privileged", *PRIVATE_CGROUP, create_only=True)
        docker.run("hr-sysadmin", "--cap-add", "SYS_ADMIN", *PRIVATE_CGROUP)
        docker.run("hr-host-pid", "--pid", "host", *PRIVATE_CGROUP)
        docker.run("hr-hardened", *HARDENED)
        build = subprocess.run(["bash", str(REPO / "scripts" / "build-image.sh"), IMAGE], capture_output=True,
                               text=True, timeout=1800, env={**docker.env, "HOSTAUDIT_ROOTFS_CACHE": ROOTFS_CACHE})
        assert build.returncode == 0, build.stderr[-3000:]
        yield docker
    finally:
        docker.stop()
        shutil.rmtree(base, ignore_errors=True)


def _verdicts(report: dict) -> dict[str, dict[str, str]]:
    """Per planted container: its verdict, and every container check's status on it."""
    ours = sorted(c["key"] for c in report["containers"] if c["name"].startswith("hr-"))
    return {key: {"verdict": next(e["verdict"] for e in report["escapes"] if e["subject"]["key"] == key)}
            | {f["check_id"]: f["status"] for f in report["findings"] if f["subject"]["key"] == key} for key in ours}


def _host_level(report: dict) -> dict[tuple[str, str], str]:
    return {(f["check_id"], f["subject"]["key"]): f["status"] for f in report["findings"]
            if f["subject"]["kind"] in ("host", "daemon")}


def test_audit_from_a_container_with_host_root_matches_the_host_run(lab):
    on_host = json.loads(run_hostaudit("audit", "--format", "json", "--docker-host", lab.url).stdout)
    # CAP_SYS_PTRACE: reading the namespace links of processes with more capabilities than the auditor (kthreadd,
    # the kernel's initial namespaces; privileged containers) needs it; nothing else is added
    ran = lab.docker("run", "--rm", "--pid=host", "--network=host", "--cap-add", "SYS_PTRACE", "-v", "/:/host:ro",
                     "-v", f"{lab.socket}:{lab.socket}:ro", IMAGE, "audit", "--host-root", "/host",
                     "--docker-host", lab.url, "--format", "json", check=False)
    assert ran.returncode in (0, 1), ran.stderr.decode()[-3000:]
    in_container = json.loads(ran.stdout)
    expected = _verdicts(on_host)
    assert set(expected) == {f"docker:{n}" for n in ("hr-priv", "hr-sysadmin", "hr-host-pid", "hr-hardened")}
    assert expected["docker:hr-priv"]["verdict"] == "escapable"
    found = _verdicts(in_container)
    differing = {(key, check): (found.get(key, {}).get(check), status) for key, checks in expected.items()
                 for check, status in checks.items() if found.get(key, {}).get(check) != status}
    assert not differing, differing
    assert found == expected
    assert in_container["host"] == on_host["host"]
    assert _host_level(in_container) == _host_level(on_host)


def test_without_host_root_a_container_audits_itself_not_the_host(lab):
    """The control: the same container without --host-root reads its own /etc and /proc, not the host's."""
    ran = lab.docker("run", "--rm", "--pid=host", "--network=host", "--cap-add", "SYS_PTRACE",
                     "-v", f"{lab.socket}:{lab.socket}:ro", IMAGE, "audit", "--docker-host", lab.url, "--format",
                     "json", check=False)
    assert ran.returncode in (0, 1), ran.stderr.decode()[-3000:]
    on_host = json.loads(run_hostaudit("audit", "--format", "json", "--docker-host", lab.url).stdout)
    assert _host_level(json.loads(ran.stdout)) != _host_level(on_host)
