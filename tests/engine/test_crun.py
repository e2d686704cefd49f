"""crun judged on a real host: a private dockerd whose default runtime is Debian's crun, a container created on it,
and the crun rows of the audit. The oracles are read here, apart from hostaudit: `crun --version` run directly,
dpkg's record of the crun package, dockerd's own `docker info` and `docker inspect`, and `podman info`. The audit
itself never runs crun (every start, `--version` too, creates a file in /tmp: tests/engine/test_read_only.py):
crun's build is its distro package.

The container is only created: Debian 12's crun 1.8.1 refuses to start one on a host with hybrid cgroups ("cgroups
in hybrid mode not supported"), as this machine has; what is judged is the runtime dockerd is configured to run."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.engine.conftest import PRIVATE_CGROUP, needs_engine
from tests.lab import PrivateDocker, PrivatePodman, empty_containerd_state, lab_dir, run_hostaudit

pytestmark = [needs_engine, pytest.mark.skipif(shutil.which("crun") != "/usr/bin/crun",
                                               reason="crun is not installed at /usr/bin (apt-get install crun)")]
CRUN = "/usr/bin/crun"
ROWS = ("runtime.cve_2026_88264", "runtime.cve_2026_88265", "runtime.cve_2025_24965")


@pytest.fixture(scope="module")
def on_crun():
    base = lab_dir("hacrun-")
    docker = PrivateDocker(base / "docker", daemon_json={"runtimes": {"crun": {"path": CRUN}},
                                                         "default-runtime": "crun"})
    try:
        docker.start()
        docker.build_image()
        docker.run("on-crun", *PRIVATE_CGROUP, create_only=True)
        info = json.loads(docker.docker("info", "--format", "{{json .}}").stdout)
        inspect = json.loads(docker.docker("inspect", "on-crun").stdout)[0]
        done = run_hostaudit("audit", "--format", "json", "--docker-host", docker.url,
                             "--containerd-state", str(empty_containerd_state(base)))
        yield info, inspect, json.loads(done.stdout)
    finally:
        docker.stop()
        shutil.rmtree(base, ignore_errors=True)


def _finding(report: dict, check_id: str) -> dict:
    return next(f for f in report["findings"] if f["check_id"] == check_id and f["subject"]["name"] == "host")


def _crun_version() -> str:
    first = subprocess.run([CRUN, "--version"], capture_output=True, text=True, check=True).stdout.splitlines()[0]
    return first.split()[2]  # "crun version 1.8.1"


def _package() -> str | None:
    done = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "crun"], capture_output=True, text=True,
                          check=False)
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def test_the_daemon_runs_crun(on_crun):
    info, inspect, _ = on_crun
    assert info["DefaultRuntime"] == "crun" and info["Runtimes"]["crun"]["path"] == CRUN
    assert inspect["HostConfig"]["Runtime"] == "crun"


def test_crun_rows_judge_the_installed_crun_and_name_the_engine_that_runs_it(on_crun):
    *_, report = on_crun
    version, package = _crun_version(), _package()
    for check_id in ROWS:
        result = _finding(report, check_id)
        assert f"Docker: {CRUN} (/info DefaultRuntime crun)" in result["evidence"]["runtime_in_use"]
        if package is None:  # a crun of no package: present, never run, so of no known version
            assert result["status"] == "unknown" and result["evidence"]["version"] == "not read", check_id
            continue
        # Debian's crun: its package is the build, whose upstream base is what the binary itself prints
        assert result["evidence"]["versions"] == {"crun package": package}, check_id
        assert result["evidence"]["upstream_base"] == version and result["evidence"]["build"] == "distro"
        # 1.8.1 is below the end of every one of these ranges: no fix is proven, the vendor decides
        assert result["status"] == "unknown" and result["evidence"]["package"] == f"crun {package}", check_id
    # Docker mounts a fresh /dev in every container: on-crun is not among those the /dev symlink bugs reach
    assert "on-crun" not in _finding(report, "runtime.cve_2026_88264")["evidence"]["reachable_why"]


@pytest.mark.skipif(shutil.which("podman") is None, reason="no podman")
def test_podmans_runtime_is_the_one_podman_itself_reports(on_crun):
    """Podman's own answer (`podman info`, on a private storage root) against what the audit read from root's
    containers.conf files, the built-in default included."""
    *_, report = on_crun
    base = lab_dir("hacrunpm-")  # short: podman refuses a run root longer than 50 characters
    try:
        reported = PrivatePodman(base).podman("info", "--format", "{{.Host.OCIRuntime.Name}}").stdout.decode().strip()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    (line,) = [u for u in _finding(report, "runtime.cve_2026_88264")["evidence"]["runtime_in_use"]
               if u.startswith("Podman: ")]
    assert line.split()[1] == reported, line
