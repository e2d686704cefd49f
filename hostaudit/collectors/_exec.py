"""The one way the audit runs a program: a root-owned binary at a fixed host path, never a path a process names.

The program gets no stdin, a clean environment, `/` as its working directory and a session of its own that is killed
whole when it overruns its time; its output is capped. A binary that root does not own, or that a group or other
user may replace, is not run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import subprocess

from hostaudit.collectors._fs import host_root, root_only

# the system directories the audit's fixed paths live in; nothing outside them is ever run
SYSTEM_DIRS = ("/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin", "/usr/local/sbin")
CLEAN_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}
TIMEOUT_S = 3.0
MAX_OUTPUT = 65536


def trusted_binary(path: str, host_configured: bool = False) -> str | None:
    """`path` resolved, when it is a root-owned executable file in a root-owned system directory that neither group
    nor others can write (`_fs.root_only`, up to /); None otherwise. A path that a root-owned host config names (a
    runtime's `path` in daemon.json, say) may lie outside the system directories. Always
    None when the host is read through a host root (its binaries would run against this container's libraries and
    namespaces, not as they run on the host)."""
    if not os.path.isabs(path) or host_root() != "/":
        return None
    real = os.path.realpath(path)
    in_system_dir = os.path.dirname(real) in SYSTEM_DIRS or os.path.dirname(path) in SYSTEM_DIRS
    if not in_system_dir and not host_configured:
        return None
    if root_only(real) is not None:
        return None
    try:
        info = os.stat(real)
    except OSError:
        return None
    return real if stat.S_ISREG(info.st_mode) and info.st_mode & 0o111 else None


def run_fixed(path: str, *args: str, timeout: float = TIMEOUT_S) -> tuple[int, str] | None:
    """(exit status, stdout) of `path args...` (see the module docstring); None when it may not run or overruns."""
    binary = trusted_binary(path)
    if binary is None:
        return None
    try:
        proc = subprocess.Popen([binary, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=CLEAN_ENV, cwd="/", start_new_session=True,
                                close_fds=True)
    except OSError:
        return None
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return None
    return proc.returncode, out[:MAX_OUTPUT].decode("utf-8", "replace")
