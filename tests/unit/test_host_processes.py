"""Only host processes stand for the host's daemons: the kernel's initial namespaces are the reference, and a
process in another mount or PID namespace or in a container cgroup never counts, whatever it is called. The
oracle is the kernel: processes started here in new namespaces with `unshare`. The collectors read a host root whose
/proc holds only the processes a test planted (`only_processes`): no process another user runs is ever read."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostaudit.collectors import (
    CollectContext,
    in_container_cgroup,
    initial_namespaces,
    process_table,
    split_cmdline,
)
from hostaudit.collectors._fs import use_host_root
from hostaudit.model import Status
from tests.unit.conftest import results_by_subject

ID = "0123456789abcdef" * 4


@pytest.mark.parametrize(("line", "container"), [
    ("0::/system.slice/docker.service", False), ("0::/system.slice/kubelet.service", False),
    ("0::/user.slice/user-0.slice/session-1.scope", False), (f"0::/system.slice/docker-{ID}.scope", True),
    (f"4:memory:/docker/{ID}", True), (f"0::/kubepods.slice/kubepods-besteffort.slice/cri-containerd-{ID}.scope",
                                       True),
    ("0::/kubepods/burstable/pod1/x", True), (f"0::/machine.slice/libpod-{ID}.scope", True),
    ("0::/lxc.payload.web", True), (f"0::/k8s.io/{ID}", True),
])
def test_container_cgroups_are_recognised(line, container):
    assert in_container_cgroup(line) is container


def test_the_reference_is_the_kernels_initial_namespaces_never_a_daemons():
    reference = initial_namespaces()
    pid = 1 if reference.source.startswith("/proc/1/") else 2
    assert reference.namespaces == {kind: os.readlink(f"/proc/{pid}/ns/{kind}") for kind in reference.namespaces}
    assert "kthreadd" in reference.source or "init" in reference.source
    assert len(reference.namespaces) == 7


@contextlib.contextmanager
def only_processes(root: Path, pids: list[int]) -> Iterator[None]:
    """The collectors read the host root `root`, whose /proc holds links to this machine's /proc/<pid> for `pids`
    and for pids 1 and 2 (the initial namespaces): the kernel answers for the planted processes, and nothing another
    user runs on the machine (a process whose /proc blocks, a stray "dockerd") is listed or read."""
    proc = root / "proc"
    proc.mkdir(parents=True)
    for pid in {1, 2, *pids}:
        (proc / str(pid)).symlink_to(f"/proc/{pid}")
    use_host_root(str(root))
    try:
        yield
    finally:
        use_host_root("/")


def wait_for_exec(expected: dict[int, bytes]) -> None:
    """Until each process has exec'd the program whose argv is its `expected` /proc/<pid>/cmdline; fails after
    10 s rather than let a test look at processes that are not yet what it planted."""
    deadline = time.monotonic() + 10
    while (late := [pid for pid, cmdline in expected.items() if Path(f"/proc/{pid}/cmdline").read_bytes() != cmdline]):
        assert time.monotonic() < deadline, f"processes {late} never ran their programs: the test would prove nothing"
        time.sleep(0.02)


@pytest.fixture()
def impostors(tmp_path):
    """`dockerd` and `kubelet` (copies of sleep) in new mount and PID namespaces, and a `containerd` on the host."""
    for name in ("dockerd", "kubelet", "containerd"):
        shutil.copy(shutil.which("sleep"), tmp_path / name)
    # --kill-child: the namespace's init (the impostor) dies with unshare, not 60 s later as a stray "dockerd"
    procs = [subprocess.Popen(["unshare", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc",
                               str(tmp_path / name), "60"]) for name in ("dockerd", "kubelet")]
    procs.append(subprocess.Popen([str(tmp_path / "containerd"), "60"]))
    # each impostor is the child unshare forks in the new PID namespace; all three awaited until they run their
    # program (Popen returns while the kernel may still show the child as python, with no argv)
    children = [_child(proc.pid) for proc in procs[:2]]
    wait_for_exec({pid: f"{tmp_path / name}\0{60}\0".encode()
                   for pid, name in zip([*children, procs[-1].pid], ("dockerd", "kubelet", "containerd"), strict=True)})
    yield tmp_path, procs[-1].pid, [*children, *(proc.pid for proc in procs)]
    for proc in procs:
        proc.kill()
        proc.wait()


def _child(pid: int) -> int:
    """The one child of process `pid` (unshare's forked child), awaited for up to 10 s."""
    deadline = time.monotonic() + 10
    while not (children := Path(f"/proc/{pid}/task/{pid}/children").read_text().split()):
        assert time.monotonic() < deadline, f"process {pid} never forked"
        time.sleep(0.02)
    return int(children[0])


def test_processes_in_other_namespaces_never_count_as_the_hosts(impostors):
    base, host_pid, planted = impostors
    with only_processes(base / "host", planted):
        ctx = CollectContext()
        named = ctx.host_processes_named("dockerd", "kubelet", "containerd")
        listed = {p.name for p in ctx.processes}
    assert {"dockerd", "kubelet", "containerd"} <= listed  # the impostors were there to be refused
    assert [p.pid for p in named] == [host_pid]


def test_namespace_checks_are_unknown_when_the_reference_is_unreadable(lab_snapshot):
    blind = dataclasses.replace(lab_snapshot, host=dataclasses.replace(
        lab_snapshot.host, reference_namespaces={}, reference_source="unreadable"))
    for check_id in ("container.host_pid", "container.host_network", "container.host_ipc"):
        results = results_by_subject(check_id, blind)
        assert results["hardened"].status is Status.UNKNOWN
        assert results["host-pid"].status is (Status.FAIL if check_id == "container.host_pid" else Status.UNKNOWN)


def test_a_shims_working_directory_never_makes_a_state_dir(tmp_path):
    """A process named like a shim, whose cwd is a fake bundle (in a volume, say), adds no task: bundles are read
    only under the state dirs host containerd daemons name. The old code followed the cwd and read the fake."""
    from hostaudit.collectors import PartialFacts
    from hostaudit.collectors import containerd as containerd_collector

    bundle = tmp_path / "state" / "io.containerd.runtime.v2.task" / "evilns" / "evil"
    bundle.mkdir(parents=True)
    (bundle / "config.json").write_text('{"ociVersion": "1.0.2", "process": {"args": ["/x"]}}')
    shim = tmp_path / "containerd-shim-runc-v2"
    shutil.copy(shutil.which("sleep"), shim)
    daemon = tmp_path / "containerd"  # a host containerd naming its own state dir: a shell waiting on its stdin
    shutil.copy("/bin/sh", daemon)
    state = tmp_path / "daemon-state"
    argvs = [[str(shim), "60"], [str(daemon), "-c", "read -r line", "--state", str(state), "--config",
                                   str(tmp_path / "absent.toml")]]
    procs = [subprocess.Popen(argvs[0], cwd=bundle), subprocess.Popen(argvs[1], stdin=subprocess.PIPE)]
    try:
        wait_for_exec({proc.pid: "\0".join(argv).encode() + b"\0" for proc, argv in zip(procs, argvs, strict=True)})
        ctx = CollectContext()
        ctx.root_doubt = lambda pid: None  # the planted containerd stands for root's (the rule: test_root_trust)
        with only_processes(tmp_path / "host", [proc.pid for proc in procs]):
            try:
                facts = containerd_collector.collect(ctx)
            except PartialFacts as partial:
                facts = partial.facts
        assert [i.pid for i in facts.instances] == [procs[1].pid] and str(state) in facts.state_dirs
        assert not [d for d in facts.state_dirs if d.startswith(str(tmp_path / "state"))]
        assert not [c for c in facts.containers if c.id == "evil"]
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


@pytest.fixture()
def named_processes(tmp_path):
    """Processes whose names the table must get right: a long name (the kernel keeps 15 characters of it), a name
    with spaces and parentheses, an argv[0] that is not the file run, and an argument holding spaces."""
    long_name = tmp_path / "containerd-shim-runc-v2"
    odd_name = tmp_path / "a (b) c"
    for path in (long_name, odd_name):
        shutil.copy(shutil.which("sleep"), path)
    argvs = [[str(long_name), "60"], [str(odd_name), "60"], ["/usr/bin/dockerd --fake", "60"],
             [sys.executable, "-c", "import time; time.sleep(60)", "two words"]]
    procs = [subprocess.Popen(argvs[0]), subprocess.Popen(argvs[1]),
             subprocess.Popen(["bash", "-c", 'exec -a "/usr/bin/dockerd --fake" sleep 60']), subprocess.Popen(argvs[3])]
    wait_for_exec({proc.pid: "\0".join(argv).encode() + b"\0" for proc, argv in zip(procs, argvs, strict=True)})
    yield [p.pid for p in procs]
    for proc in procs:
        proc.kill()
        proc.wait()


def test_the_process_table_names_processes_as_psutil_does(named_processes, tmp_path):
    """The oracle is psutil, reading /proc its own way: names (extended past the kernel's 15 characters from
    argv[0]) and argv agree for the crafted processes and this one, the only ones the table is given to read."""
    import psutil

    mine = [*named_processes, os.getpid()]
    oracle = {pid: (psutil.Process(pid).name(), tuple(psutil.Process(pid).cmdline())) for pid in mine}
    with only_processes(tmp_path / "host", mine):
        table = {entry.pid: (entry.name, entry.argv) for entry in process_table()}
    assert table[named_processes[0]][0] == "containerd-shim-runc-v2"
    assert table[named_processes[1]][0] == "a (b) c"
    assert {pid: table[pid] for pid in mine} == oracle


def test_an_argv_rewritten_into_one_string_is_split_on_spaces():
    assert split_cmdline("nginx: master process /usr/sbin/nginx\0") == ("nginx:", "master", "process",
                                                                        "/usr/sbin/nginx")
    assert split_cmdline("/usr/bin/dockerd\0-H\0fd://\0") == ("/usr/bin/dockerd", "-H", "fd://")
    assert split_cmdline("no terminator at all") == ("no", "terminator", "at", "all")
    assert split_cmdline("") == ()
