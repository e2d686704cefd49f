"""Only host processes stand for the host's daemons: the kernel's initial namespaces are the reference, and a
process in another mount or PID namespace or in a container cgroup never counts, whatever it is called. The
oracle is the kernel: processes started here in new namespaces with `unshare`."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hostaudit.collectors import CollectContext, in_container_cgroup, initial_namespaces, process_table, split_cmdline
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


@pytest.fixture()
def impostors(tmp_path):
    """`dockerd` and `kubelet` (copies of sleep) in new mount and PID namespaces, and a `containerd` on the host."""
    for name in ("dockerd", "kubelet", "containerd"):
        shutil.copy(shutil.which("sleep"), tmp_path / name)
    # --kill-child: the namespace's init (the impostor) dies with unshare, not 60 s later as a stray "dockerd"
    procs = [subprocess.Popen(["unshare", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc",
                               str(tmp_path / name), "60"]) for name in ("dockerd", "kubelet")]
    procs.append(subprocess.Popen([str(tmp_path / "containerd"), "60"]))
    impostors = {str(tmp_path / name) for name in ("dockerd", "kubelet")}
    deadline = time.monotonic() + 10
    while not impostors <= {entry.argv[0] for entry in process_table() if entry.argv}:
        assert time.monotonic() < deadline, "the impostors never ran: the test would prove nothing"
        time.sleep(0.02)  # until unshare has forked and run both in their namespaces
    yield tmp_path, procs[-1].pid
    for proc in procs:
        proc.kill()
        proc.wait()


def test_processes_in_other_namespaces_never_count_as_the_hosts(impostors):
    base, host_pid = impostors
    ctx = CollectContext()
    named = ctx.host_processes_named("dockerd", "kubelet", "containerd")
    assert host_pid in [p.pid for p in named]
    assert not [p for p in named if p.argv and p.argv[0].startswith(str(base)) and p.pid != host_pid]


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
    from hostaudit.collectors import CollectorSkipped, PartialFacts
    from hostaudit.collectors import containerd as containerd_collector

    bundle = tmp_path / "state" / "io.containerd.runtime.v2.task" / "evilns" / "evil"
    bundle.mkdir(parents=True)
    (bundle / "config.json").write_text('{"ociVersion": "1.0.2", "process": {"args": ["/x"]}}')
    shim = tmp_path / "containerd-shim-runc-v2"
    shutil.copy(shutil.which("sleep"), shim)
    proc = subprocess.Popen([str(shim), "60"], cwd=bundle)
    try:
        time.sleep(0.3)
        try:
            facts = containerd_collector.collect(CollectContext())
        except PartialFacts as partial:
            facts = partial.facts
        except CollectorSkipped:
            return
        assert str(tmp_path) not in " ".join(facts.state_dirs)
        assert not [c for c in facts.containers if c.id == "evil"]
    finally:
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
    deadline = time.monotonic() + 10
    expected = {proc.pid: "\0".join(argv).encode() + b"\0" for proc, argv in zip(procs, argvs, strict=True)}
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}/cmdline").read_bytes() != cmdline
                                              for pid, cmdline in expected.items()):
        time.sleep(0.02)  # until each has exec'd its program (bash its sleep)
    yield [p.pid for p in procs]
    for proc in procs:
        proc.kill()
        proc.wait()


def test_the_process_table_names_processes_as_psutil_does(named_processes):
    """The oracle is psutil, reading the same /proc its own way: names (extended past the kernel's 15 characters
    from argv[0]) and argv agree for every process of the host, the crafted ones included."""
    import psutil

    def psutil_view() -> dict[int, tuple[str, tuple[str, ...]]]:
        return {p.pid: (p.info["name"], tuple(p.info["cmdline"] or ())) for p in
                psutil.process_iter(["name", "cmdline"])}

    before = psutil_view()
    table = {entry.pid: (entry.name, entry.argv) for entry in process_table()}
    after = psutil_view()
    assert table[named_processes[0]][0] == "containerd-shim-runc-v2"
    assert table[named_processes[1]][0] == "a (b) c"
    # compared: the processes psutil saw the same before and after the table was read (one may start, end or exec
    # in between) and that have an argv (kernel workers rename themselves as they run); at least the crafted
    # processes and this one, however few others the machine runs
    stable = {pid for pid in set(before) & set(after) & set(table) if before[pid] == after[pid] and before[pid][1]}
    assert {*named_processes, os.getpid()} <= stable
    assert {pid: table[pid] for pid in stable} == {pid: before[pid] for pid in stable}


def test_an_argv_rewritten_into_one_string_is_split_on_spaces():
    assert split_cmdline("nginx: master process /usr/sbin/nginx\0") == ("nginx:", "master", "process",
                                                                        "/usr/sbin/nginx")
    assert split_cmdline("/usr/bin/dockerd\0-H\0fd://\0") == ("/usr/bin/dockerd", "-H", "fd://")
    assert split_cmdline("no terminator at all") == ("no", "terminator", "at", "all")
    assert split_cmdline("") == ()
