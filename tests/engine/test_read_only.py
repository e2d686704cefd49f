"""The audit is read-only: a full run leaves files, containers and their processes as they were, writes nothing,
and executes only host binaries (never anything inside a container)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.engine.conftest import needs_engine
from tests.lab import PrivateDocker, lab_dir

pytestmark = needs_engine

# system calls that change the filesystem; an open for writing is checked separately
MUTATING = ("unlink", "unlinkat", "rename", "renameat", "renameat2", "mkdir", "mkdirat", "rmdir", "chmod", "fchmod",
            "fchmodat", "chown", "fchown", "fchownat", "lchown", "symlink", "symlinkat", "link", "linkat", "truncate",
            "ftruncate", "utimensat", "mknod", "mknodat", "setxattr", "lsetxattr", "fsetxattr", "removexattr",
            "mount", "umount2")
WRITE_FLAGS = re.compile(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND")
# what entering a container would take: a runtime's exec subcommand, or a namespace switch
ENTERING = re.compile(r'"(exec|nsenter|setns|attach)"|nsenter"')


@pytest.fixture(scope="module")
def quiet_lab():
    """A private dockerd with a running, a restarting-policy and a created-only container."""
    base = lab_dir("hr-")
    lab = PrivateDocker(base / "docker")
    try:
        lab.start()
        lab.build_image()
        lab.run("steady", "--network", "none")
        lab.run("restarter", "--network", "none", "--restart", "always", "--cap-add", "SYS_ADMIN")
        lab.run("never-started", "--network", "none", create_only=True)
        yield lab
    finally:
        lab.stop()
        shutil.rmtree(base, ignore_errors=True)


def file_state(path: Path) -> tuple:
    st = os.lstat(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() and not path.is_symlink() else None
    return st.st_mode, st.st_uid, st.st_mtime_ns, st.st_size, digest


def tree_state(root: Path) -> dict[str, tuple]:
    """Every entry below `root` (symlinks not followed) with mode, owner, mtime, size and content hash."""
    found = {}
    for directory, dirs, files in os.walk(root, followlinks=False):
        for name in (*dirs, *files):
            path = Path(directory, name)
            try:
                found[str(path)] = file_state(path)
            except OSError:
                continue  # a socket or a file that went away: not ours to judge
    return found


def container_state(lab: PrivateDocker) -> dict[str, dict]:
    ids = lab.docker("ps", "-aq").stdout.decode().split()
    inspected = json.loads(lab.docker("inspect", *ids).stdout)
    return {c["Name"]: {"state": {k: c["State"][k] for k in ("Status", "Pid", "StartedAt", "FinishedAt")},
                        "restarts": c["RestartCount"], "execs": c["ExecIDs"],
                        "processes": processes_of(c["State"]["Pid"])} for c in inspected}


def processes_of(init_pid: int) -> list[str]:
    """The processes of a container: its init and every process in the init's cgroup, with their command lines."""
    if not init_pid:
        return []
    cgroups = Path(f"/proc/{init_pid}/cgroup").read_text().splitlines()
    path = cgroups[0].split(":", 2)[2]
    controller = next((line.split(":", 2) for line in cgroups if ":pids:" in line or line.startswith("0::")), None)
    roots = ["/sys/fs/cgroup/pids" + controller[2], "/sys/fs/cgroup" + controller[2]] if controller else []
    procs = next((Path(r, "cgroup.procs") for r in roots if Path(r, "cgroup.procs").exists()), None)
    pids = procs.read_text().split() if procs else [str(init_pid)]
    assert str(init_pid) in pids, f"cgroup {path} does not list the init pid"
    return sorted(f"{pid}:{Path(f'/proc/{pid}/cmdline').read_bytes()!r}" for pid in pids)


def test_a_full_audit_changes_nothing_and_executes_only_host_binaries(quiet_lab, tmp_path):
    lab = quiet_lab
    watched = [lab.config_file, Path("/etc/passwd"), Path("/etc/group")]
    roots = [Path(p) for p in json.loads(lab.docker("inspect", "--format", "{{json .GraphDriver.Data.MergedDir}}",
                                                    "steady").stdout) .split(":") if p]
    trees = [lab.base / "data" / "containers", *roots, *[p for p in (Path("/etc/docker"), Path("/etc/containerd"))
                                                           if p.exists()]]
    files_before = {str(p): file_state(p) for p in watched}
    trees_before = {str(t): tree_state(t) for t in trees}
    etc_before = {p.name: p.lstat().st_mtime_ns for p in Path("/etc").iterdir()}
    containers_before = container_state(lab)

    trace = tmp_path / "trace"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    command = ["hostaudit", "audit", "--format", "json", "--docker-host", lab.url]
    if shutil.which("strace"):
        command = ["strace", "-f", "-qq", "-s", "200", "-o", str(trace), "-e",
                   "trace=execve,open,openat,openat2,creat," + ",".join(MUTATING), *command]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode in (0, 1), done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert {"steady", "restarter", "never-started"} <= {c["name"] for c in report["containers"]}

    assert {str(p): file_state(p) for p in watched} == files_before
    for tree in trees:
        assert tree_state(tree) == trees_before[str(tree)], f"{tree} changed"
    etc_after = {p.name: p.lstat().st_mtime_ns for p in Path("/etc").iterdir()}
    changed = {name for name in etc_before.keys() | etc_after.keys() if etc_before.get(name) != etc_after.get(name)}
    assert not changed, f"/etc entries changed during the audit: {sorted(changed)}"
    assert container_state(lab) == containers_before

    if not shutil.which("strace"):
        pytest.skip("strace is not installed: file and state checks done, system calls not traced")
    lines = trace.read_text().splitlines()
    executed = [line for line in lines if re.search(r'execve\("', line) and "= 0" in line]
    assert executed, "strace saw no execve at all"
    for line in executed:
        binary = os.path.realpath(re.search(r'execve\("([^"]+)"', line).group(1))  # /proc/<pid>/exe: a daemon's
        assert not binary.startswith(str(lab.base)), f"the audit executed {binary} from the lab's data"
        assert not any(binary.startswith(str(root)) for root in roots), f"{binary} is inside a container root"
        assert not ENTERING.search(line), f"the audit entered a container: {line}"
    writes = [line for line in lines if re.search(r"\bopen(at2?)?\(", line) and WRITE_FLAGS.search(line)
              and "= -1" not in line and not re.search(r'"/dev/(null|tty|pts/\d+)"', line)]
    assert not writes, f"opened for writing: {writes[:5]}"
    mutations = [line for line in lines if re.match(rf"\d+\s+({'|'.join(MUTATING)})\(", line)
                 and "= -1" not in line]
    assert not mutations, f"changed the filesystem: {mutations[:5]}"
