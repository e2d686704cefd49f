"""Restart a hand-started dockerd with the same command line: the role's restart command on hosts without systemd.

    python restart_dockerd.py PIDFILE SOCKET [LOG]

Stops the pid in PIDFILE (SIGTERM, then waits), starts the same argv again detached, and waits until the API
answers on SOCKET. Exits non-zero, with the reason, when dockerd does not come back. The argv is kept in
PIDFILE.argv, so a dockerd that failed to start (a rollback after a bad daemon.json) is started again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def _running(pid: int) -> bool:
    """Alive and not a zombie (a dockerd started by the test process stays a zombie until the test reaps it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def main(pidfile: str, socket: str, log: str | None = None) -> int:
    saved = Path(pidfile + ".argv")
    try:
        pid = int(Path(pidfile).read_text().strip())
    except (OSError, ValueError):
        pid = None
    if pid is not None and _running(pid):
        if not saved.exists():
            saved.write_bytes(Path(f"/proc/{pid}/cmdline").read_bytes())
        os.kill(pid, signal.SIGTERM)
    argv = saved.read_bytes().rstrip(b"\0").split(b"\0")
    deadline = time.monotonic() + 60
    while pid is not None and _running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if pid is not None and _running(pid):
        print(f"dockerd {pid} did not stop", file=sys.stderr)
        return 1
    Path(socket).unlink(missing_ok=True)
    output = open(log or os.devnull, "ab")  # noqa: SIM115 - handed to the detached daemon
    started = subprocess.Popen([a.decode() for a in argv], stdout=output, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and started.poll() is None:
        done = subprocess.run(["docker", "-H", f"unix://{socket}", "version"], capture_output=True, check=False)
        if done.returncode == 0:
            return 0
        time.sleep(0.2)
    print(f"dockerd did not come back on {socket} (exit status {started.poll()})", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
