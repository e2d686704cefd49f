"""The lab owns its whole stack: a private dockerd runs its containers in a containerd the lab started (never one
that merely answers at /run/containerd/containerd.sock), and nothing of it outlives the process, even interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from tests.lab import PrivateDocker, lab_dir

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="starts a private dockerd")
ROOT = Path(__file__).resolve().parents[2]


def processes_under(base: Path) -> list[str]:
    """Command lines of the processes that name a path under `base` (daemons, shims, container inits)."""
    marker = f"{base}/"
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        with_marker = [arg for arg in proc.info["cmdline"] or () if marker in arg]
        if with_marker:
            found.append(" ".join(proc.info["cmdline"]))
    return found


def test_dockerd_runs_its_containers_in_the_labs_own_containerd():
    base = lab_dir()
    docker = PrivateDocker(base / "docker")
    try:
        docker.start()
        docker.build_image()
        container_id = docker.run("isolated")
        in_lab = docker.containerd.ctr("containers", "ls", "-q", namespace="moby").stdout.decode().split()
        assert container_id in in_lab
        cmdline = Path(f"/proc/{docker.pid}/cmdline").read_bytes().split(b"\0")
        assert cmdline[cmdline.index(b"--containerd") + 1] == str(docker.containerd.socket).encode()
    finally:
        docker.stop()
    assert processes_under(base) == []


@pytest.mark.parametrize("ending", ["exit", "sigterm"])
def test_nothing_outlives_an_interrupted_process(ending):
    """A process that starts a lab and never stops it (it returns, or it is sent SIGTERM) leaves nothing running."""
    base = lab_dir()
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from tests.lab import PrivateDocker, exit_on_signals
        exit_on_signals()
        docker = PrivateDocker(Path({str(base / "docker")!r}))
        docker.start()
        docker.build_image()
        docker.run("left-behind")
        print("ready", flush=True)
        if {ending == "sigterm"!r}:
            time.sleep(600)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        assert any("left-behind" in line or "containerd" in line for line in processes_under(base))
        if ending == "sigterm":
            child.send_signal(signal.SIGTERM)
        child.wait(timeout=180)
    finally:
        if child.poll() is None:
            child.kill()
    deadline = time.monotonic() + 10
    while processes_under(base) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_under(base) == []
