"""A throw-away unprivileged account on the host (no container): the attacker of the tests that hold the root audit
to "root trusts only root". Its processes run through `setpriv` with no capabilities and no supplementary groups;
the account, its home and every process it left are removed on exit."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

FIRST_UID = 2201
ALLOCATION_LOCK = Path("/tmp/hostaudit-hostile-user.lock")
PAUSE_SOURCE = "#include <unistd.h>\nint main(void) { for (;;) pause(); }\n"


def pause_program() -> Path:
    """A program that waits forever whatever its arguments (compiled once): the body of a fake daemon."""
    target = Path("/tmp/hostaudit-test-pause")
    if not target.exists():
        source = target.with_suffix(".c")
        source.write_text(PAUSE_SOURCE)
        subprocess.run(["cc", "-O2", "-o", f"{target}.new", str(source)], check=True, capture_output=True)
        os.replace(f"{target}.new", target)
    return target


class HostileUser:
    """One unprivileged account: `spawn` starts its processes (named as it likes), `write` leaves its files."""

    def __init__(self, name: str, uid: int) -> None:
        self.name = name
        self.uid = uid
        self.gid = pwd.getpwnam(name).pw_gid
        self.home = Path(pwd.getpwnam(name).pw_dir)
        self.processes: list[subprocess.Popen] = []

    def _as_user(self, argv: Sequence[str]) -> list[str]:
        return ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups", "--inh-caps=-all",
                "env", "-i", f"HOME={self.home}", f"USER={self.name}", "PATH=/usr/bin:/bin", *argv]

    def binary(self, name: str, source: Path | None = None) -> Path:
        """A copy of `source` (default: a program that waits forever) in the user's home called `name`, owned by
        the user: its kernel name (comm) is then `name` too."""
        source = source or pause_program()
        target = self.home / "bin" / name
        if target.exists():  # already made (and maybe running: it cannot be rewritten then)
            return target
        target.parent.mkdir(exist_ok=True)
        os.chown(target.parent, self.uid, self.gid)
        shutil.copy(source, target)
        os.chown(target, self.uid, self.gid)
        target.chmod(0o755)
        return target

    def spawn(self, argv: Sequence[str], name: str | None = None, cwd: Path | None = None,
              timeout: float = 10.0) -> subprocess.Popen:
        """Start `argv` as the user, its argv[0] replaced by `name` (`exec -a`); returns once the process has
        exec'd it (its /proc/<pid>/cmdline is the argv asked for)."""
        shown = [name or argv[0], *argv[1:]]
        command = self._as_user(["bash", "-c", 'exec -a "$0" "$@"', shown[0], argv[0], *argv[1:]])
        process = subprocess.Popen(command, cwd=cwd or self.home, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.processes.append(process)
        expected = ("\0".join(shown) + "\0").encode()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if Path(f"/proc/{process.pid}/cmdline").read_bytes() == expected \
                        and Path(f"/proc/{process.pid}/status").read_text().count(f"\t{self.uid}\t") >= 1:
                    return process
            if process.poll() is not None:
                raise RuntimeError(f"{shown} as {self.name} ended at once with {process.returncode}")
            time.sleep(0.02)
        raise RuntimeError(f"{shown} as {self.name} did not start within {timeout} s")

    def run(self, argv: Sequence[str], timeout: float = 60.0) -> subprocess.CompletedProcess:
        """Run `argv` as the user to its end."""
        return subprocess.run(self._as_user(argv), cwd=self.home, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False)

    def write(self, relative: str, data: bytes | str, mode: int = 0o644) -> Path:
        """A file under the user's home (its folders created), owned by the user."""
        path = self.home / relative
        for folder in reversed([p for p in path.parents if p != self.home and self.home in p.parents]):
            if not folder.exists():
                folder.mkdir()
                os.chown(folder, self.uid, self.gid)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        os.chown(path, self.uid, self.gid)
        path.chmod(mode)
        return path

    def own(self, path: Path) -> Path:
        """Hand `path` (made by the test) to the user."""
        os.chown(path, self.uid, self.gid)
        return path

    def kill_all(self) -> None:
        """End every process of the account, the ones it started by itself included."""
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        subprocess.run(["pkill", "-KILL", "-U", str(self.uid)], check=False)
        for process in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and subprocess.run(["pgrep", "-U", str(self.uid)], capture_output=True,
                                                            check=False).returncode == 0:
            time.sleep(0.05)


def _free_uid() -> int:
    uid = FIRST_UID
    while True:
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid
        uid += 1


@contextlib.contextmanager
def hostile_user() -> Iterator[HostileUser]:
    """A new account (the first free uid from 2201, its own group and home); removed with all it left on exit."""
    with ALLOCATION_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        uid = _free_uid()
        name = f"hostile{uid}"
        subprocess.run(["useradd", "-m", "-u", str(uid), "-U", "-s", "/bin/bash", name], check=True,
                       capture_output=True)
    user = HostileUser(name, uid)
    try:
        yield user
    finally:
        user.kill_all()
        subprocess.run(["userdel", "-r", "-f", name], check=False, capture_output=True)
        with contextlib.suppress(subprocess.CalledProcessError):
            subprocess.run(["groupdel", name], check=False, capture_output=True)
