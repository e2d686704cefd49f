"""The host's reference namespaces are the kernel's initial ones, never a daemon's: with a second dockerd running in
a PID namespace of its own (as Docker-in-Docker or a sandboxed engine does), a `--pid=host --cap-add SYS_PTRACE`
container on the audited dockerd still shares the host's PID namespace and can escape. The oracle is the kernel:
the container's /proc/<pid>/ns/pid against kthreadd's (or init's), read by the test itself."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator

import pytest

from tests.engine.conftest import needs_engine
from tests.lab import PrivateDocker, empty_containerd_state, lab_dir, run_hostaudit

pytestmark = needs_engine


def _initial_pid_namespace() -> str:
    for pid in (1, 2):
        try:
            return os.readlink(f"/proc/{pid}/ns/pid")
        except OSError:
            continue
    pytest.skip("neither /proc/1/ns nor /proc/2/ns is readable")


@pytest.fixture(scope="module")
def report() -> Iterator[dict]:
    base = lab_dir("ha-refns-")
    audited = PrivateDocker(base / "audited")
    sandboxed = PrivateDocker(base / "sandboxed", launcher=("unshare", "--pid", "--fork", "--kill-child",
                                                            "--mount-proc"))
    try:
        sandboxed.start()
        audited.start()
        audited.build_image()
        audited.run("ptrace-pid", "--pid", "host", "--cap-add", "SYS_PTRACE", "--cgroupns", "private")
        sandboxed_dockerd = int(subprocess.run(["pgrep", "-P", str(sandboxed.pid), "-x", "dockerd"],
                                               capture_output=True, text=True).stdout.split()[0])
        assert os.readlink(f"/proc/{sandboxed_dockerd}/ns/pid") != _initial_pid_namespace()
        pid = int(audited.docker("inspect", "-f", "{{.State.Pid}}", "ptrace-pid").stdout)
        assert os.readlink(f"/proc/{pid}/ns/pid") == _initial_pid_namespace()  # the oracle: it is the host's
        out = base / "report.json"
        run_hostaudit("audit", "--docker-host", audited.url, "--format", "json", "--output", str(out),
                      "--containerd-state", str(empty_containerd_state(base)))
        yield json.loads(out.read_text())
    finally:
        audited.stop()
        sandboxed.stop()


def test_host_pid_fails_against_the_kernels_namespace_not_a_sandboxed_daemons(report):
    assert "kthreadd" in report["host"]["namespace_reference"] or "init" in report["host"]["namespace_reference"]
    results = {f["check_id"]: f for f in report["findings"] if f["subject"]["name"] == "ptrace-pid"}
    assert results["container.host_pid"]["status"] == "fail"
    verdict = [v for v in report["escapes"] if v["subject"]["name"] == "ptrace-pid"]
    assert verdict and verdict[0]["verdict"] == "escapable"
