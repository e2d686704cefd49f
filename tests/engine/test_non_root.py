"""Run as an unprivileged user: no traceback, the report says so, what cannot be read is `unknown`, never `pass`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.engine.conftest import needs_engine
from tests.lab import PrivateDocker, lab_dir

pytestmark = [
    needs_engine,
    pytest.mark.skipif(os.geteuid() != 0 or not all(shutil.which(t) for t in ("setpriv", "unshare", "mount")),
                       reason="needs root, setpriv and unshare to drop to nobody"),
]
NOBODY = "65534"


@pytest.fixture(scope="module")
def denied_docker():
    """A private dockerd whose socket an unprivileged user can see but not open (mode 0660, root-owned)."""
    base = lab_dir("hn-")
    base.chmod(0o755)
    lab = PrivateDocker(base / "docker")
    try:
        lab.start()
        lab.build_image()
        lab.run("plain", "--network", "none")
        lab.base.chmod(0o755)
        lab.socket.chmod(0o660)
        yield lab
    finally:
        lab.stop()
        shutil.rmtree(base, ignore_errors=True)


def run_as_nobody(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    """`hostaudit ARGS` as uid/gid 65534 with no groups, in `tmp` (a directory nobody can enter). The interpreter may
    live under /root (pyenv), which nobody cannot enter: a private mount namespace binds its installation prefix at a
    path nobody can reach (nothing on the host moves). A virtualenv's packages are taken where they are."""
    tmp.chmod(0o755)
    prefix = tmp / "python"
    prefix.mkdir(mode=0o755)
    installation = Path(sys.base_prefix)
    packages = []  # the virtualenv's (if any), then the installation's, the latter at its bound path
    for folder in (sysconfig.get_paths()["purelib"],
                   sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_prefix})["purelib"]):
        seen = Path(folder)
        seen = prefix / seen.relative_to(installation) if seen.is_relative_to(installation) else seen
        if str(seen) not in packages:
            packages.append(str(seen))
    python = Path(sys.executable).resolve().relative_to(installation.resolve())
    program = (f"import site, sys; [site.addsitedir(d) for d in {packages!r}]; "
               "sys.argv = ['hostaudit', *sys.argv[1:]]; from hostaudit.console import main; main()")
    inner = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "env", "-i",
             "PATH=/usr/sbin:/usr/bin:/sbin:/bin", f"HOME={tmp}", str(prefix / python), "-c", program, *args]
    script = f'mount --bind "$1" "$2" && shift 2 && cd "{tmp}" && exec "$@"'
    return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", sys.base_prefix,
                           str(prefix), *inner], capture_output=True, text=True, timeout=300)


@pytest.fixture
def open_dir():
    """A working directory under /tmp that nobody can enter (pytest's tmp_path is under a 0700 directory)."""
    path = lab_dir("hn-cwd-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_non_root_audit_reports_unknown_with_the_reason(denied_docker, open_dir):
    done = run_as_nobody(open_dir, "audit", "--format", "json", "--docker-host", denied_docker.url)
    assert done.returncode in (0, 1), done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    report = json.loads(done.stdout)
    assert any("non-root" in note for note in report["notes"])

    for name in ("containers", "docker_daemon"):
        status = report["collectors"][name]
        assert status["state"] == "error", status
        assert "permission denied" in status["message"]

    privileged = [f for f in report["findings"] if f["check_id"] == "container.privileged"]
    assert privileged and all(f["status"] != "pass" for f in privileged)
    docker_source = next(f for f in privileged if f["subject"]["key"] == "source:containers")
    assert docker_source["status"] == "unknown"
    assert "permission denied" in docker_source["evidence"]["collector.containers"]

    icc = [f for f in report["findings"] if f["check_id"] == "daemon.icc_enabled"]
    assert [f["status"] for f in icc] == ["unknown"]
    host_results = [f for f in report["findings"]
                    if report["checks"][f["check_id"]]["scope"] == "host" and f["status"] in ("pass", "fail")]
    assert host_results, "host checks must still run as non-root"


def test_root_sees_the_same_containers_it_could_not_as_nobody(denied_docker):
    """The denial above is a property of the user, not of the lab: root audits the same dockerd fine."""
    done = subprocess.run(["hostaudit", "audit", "--format", "json", "--docker-host", denied_docker.url],
                          capture_output=True, text=True, timeout=300)
    report = json.loads(done.stdout)
    assert report["collectors"]["containers"]["state"] == "ok"
    assert "plain" in {c["name"] for c in report["containers"]}
