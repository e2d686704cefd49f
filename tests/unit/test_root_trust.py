"""Root trusts only root: a host process stands for the host's daemon or agent only when it runs as root (real,
effective and saved uid) from an executable only root can replace. The oracle is the kernel: real processes started
here under other uids (`setpriv`, no account needed) and from binaries in places others can write."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostaudit.collectors import CollectContext, ProcessEntry, root_doubt, split_cmdline
from hostaudit.collectors._fs import root_only

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"),
                                reason="needs root and setpriv to start processes under other uids")
STRANGER = 2299  # a uid no account needs to have
SLEEP = shutil.which("sleep") or "/bin/sleep"


@pytest.fixture()
def spawned() -> Iterator[list[subprocess.Popen]]:
    started: list[subprocess.Popen] = []
    yield started
    for proc in started:
        proc.kill()
        proc.wait()


def start(started: list[subprocess.Popen], argv: list[str], name: str, *setpriv: str) -> int:
    """`argv` as `name` (argv[0], as `exec -a` sets it), under the uids `setpriv` is given (bash -p keeps them
    apart); its pid once it runs."""
    prefix = ["setpriv", *setpriv, "--clear-groups", "--inh-caps=-all"] if setpriv else []
    proc = subprocess.Popen([*prefix, "bash", "-p", "-c", 'exec -a "$0" "$@"', name, *argv], stdin=subprocess.DEVNULL)
    started.append(proc)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")[0] != name.encode():
        assert time.monotonic() < deadline and proc.poll() is None, f"{name} never ran"
        time.sleep(0.01)
    return proc.pid


def planted(*pids: int) -> CollectContext:
    """A collection context whose process table is the planted processes alone, as the kernel shows them (never
    another user's processes on this machine)."""
    ctx = CollectContext()
    ctx.__dict__["processes"] = tuple(
        ProcessEntry(pid, Path(f"/proc/{pid}/comm").read_text().strip(),
                     split_cmdline(Path(f"/proc/{pid}/cmdline").read_text())) for pid in pids)
    return ctx


def named(pid: int) -> bool:
    return pid in [p.pid for p in planted(pid).processes_named("dockerd", "kubelet", "falco")]


def test_roots_process_from_a_system_binary_is_the_hosts(spawned):
    pid = start(spawned, [SLEEP, "60"], "dockerd")
    assert root_doubt(pid) is None
    assert named(pid)


@pytest.mark.parametrize("uids", [
    (f"--reuid={STRANGER}", f"--regid={STRANGER}"),  # an ordinary user
    (f"--ruid={STRANGER}", "--euid=0", f"--regid={STRANGER}"),  # root only in its effective uid
    ("--ruid=0", f"--euid={STRANGER}", "--regid=0"),  # root only in its real uid
], ids=["user", "effective-root-only", "real-root-only"])
def test_a_process_not_wholly_roots_is_never_the_hosts(spawned, uids):
    pid = start(spawned, [SLEEP, "60"], "kubelet", *uids)
    status = Path(f"/proc/{pid}/status").read_text()
    assert "\t2299\t" in next(line for line in status.splitlines() if line.startswith("Uid:"))  # the kernel's word
    ctx = planted(pid)
    assert pid not in [p.pid for p in ctx.processes_named("kubelet")]
    assert pid in [p.pid for p in ctx.host_processes_named("kubelet")]  # a host process all the same
    assert ctx.untrusted[pid].uid is not None and "not root" in ctx.untrusted[pid].reason


def test_roots_process_from_a_binary_others_could_replace_is_never_the_hosts(spawned, tmp_path, root_tmp_path):
    # tmp_path lies under the sticky, world-writable /tmp: anyone could have put the file there first
    in_tmp = tmp_path / "falco"
    shutil.copy(SLEEP, in_tmp)
    assert root_only(str(in_tmp)) is not None
    user_owned = root_tmp_path / "dockerd"
    shutil.copy(SLEEP, user_owned)
    os.chown(user_owned, STRANGER, STRANGER)
    group_writable = root_tmp_path / "kubelet"
    shutil.copy(SLEEP, group_writable)
    group_writable.chmod(0o775)
    trusted = root_tmp_path / "trusted"
    shutil.copy(SLEEP, trusted)
    pids = {name: start(spawned, [str(path), "60"], name)
            for name, path in (("falco", in_tmp), ("dockerd", user_owned), ("kubelet", group_writable))}
    ctx = planted(*pids.values())
    listed = [p.pid for p in ctx.processes_named("falco", "dockerd", "kubelet")]
    for name, pid in pids.items():
        assert pid not in listed, name
        assert "executable" in ctx.untrusted[pid].reason
    assert named(start(spawned, [str(trusted), "60"], "dockerd"))  # the same copy, root's alone, is root's


def test_a_binary_replaced_after_it_started_is_judged_by_the_file_it_runs(spawned, root_tmp_path):
    binary = root_tmp_path / "dockerd"
    shutil.copy(SLEEP, binary)
    pid = start(spawned, [str(binary), "60"], "dockerd")
    binary.unlink()  # "(deleted)": the inode it runs is still root's
    assert root_doubt(pid) is None
    binary.write_bytes(b"")  # a new file at the path changes nothing about the running one
    os.chown(binary, STRANGER, STRANGER)
    assert root_doubt(pid) is None


@pytest.mark.parametrize(("layout", "trusted"), [
    ("root 0755 / root 0644", True), ("root 0755 / root 0666", False), ("root 0755 / user 0644", False),
    ("root 0777 / root 0644", False), ("root 1777 / root 0644", False), ("user 0755 / root 0644", False),
    ("root 0775 / root 0644", False),
])
def test_root_only_follows_the_kernels_owners_and_modes(root_tmp_path, layout, trusted):
    (dir_owner, dir_mode), (file_owner, file_mode) = (part.split() for part in layout.split(" / "))
    folder = root_tmp_path / "d"
    folder.mkdir()
    path = folder / "f"
    path.write_text("x")
    for target, owner, mode in ((folder, dir_owner, dir_mode), (path, file_owner, file_mode)):
        os.chown(target, STRANGER if owner == "user" else 0, 0)
        target.chmod(int(mode, 8))
    assert (root_only(str(path)) is None) is trusted
    link = root_tmp_path / "link"
    link.symlink_to(path)  # through a link: judged by what it reaches as well
    assert (root_only(str(link)) is None) is trusted


def test_a_link_in_a_directory_others_can_write_is_not_roots(root_tmp_path, tmp_path):
    target = root_tmp_path / "config"
    target.write_text("{}")
    link = tmp_path / "config"  # the link itself lies where anyone could replace it
    link.symlink_to(target)
    assert root_only(str(target)) is None
    assert root_only(str(link)) is not None


def test_task_bundles_a_user_could_write_are_never_audit_subjects(root_tmp_path):
    """A root containerd's state dir whose tasks a user could write: their made-up bundle would become an audit
    subject (with a real container's /proc facts behind its pid); it is not read, and the collector says why."""
    import json

    from hostaudit.collectors import PartialFacts, ProcessEntry
    from hostaudit.collectors import containerd as containerd_collector

    state = root_tmp_path / "state"
    bundle = state / containerd_collector.TASKS / "k8s.io" / "made-up"
    bundle.mkdir(parents=True)
    (bundle / "config.json").write_text(json.dumps({"ociVersion": "1.0.2", "process": {"args": ["sh"]}}))
    ctx = CollectContext()
    ctx.__dict__["processes"] = (ProcessEntry(4242, "containerd", ("containerd", "--state", str(state))),)
    ctx.is_host_process = lambda pid: True  # the made-up containerd stands for root's
    ctx.root_doubt = lambda pid: None
    assert [c.id for c in containerd_collector.collect(ctx).containers] == ["made-up"]
    os.chown(state / containerd_collector.TASKS, STRANGER, STRANGER)
    with pytest.raises(PartialFacts) as refused:
        containerd_collector.collect(ctx)
    assert refused.value.facts.containers == ()
    assert f"{state}: not root's alone" in str(refused.value)


def test_root_only_walks_links_inside_the_host_root(root_tmp_path):
    """Through --host-root, an absolute link is the host's: it is followed inside the root, never to the auditing
    machine's own file of that name."""
    from hostaudit.collectors._fs import use_host_root

    host = root_tmp_path / "host"
    (host / "etc").mkdir(parents=True)
    (host / "run").mkdir()
    (host / "etc" / "daemon.json").write_text("{}")
    (host / "run" / "config").symlink_to("/etc/daemon.json")
    (host / "run" / "outside").symlink_to("/work-only-on-the-auditing-machine")
    try:
        use_host_root(str(host))
        assert root_only("/run/config") is None
        assert root_only("/run/outside") is not None
        (host / "etc").chmod(0o777)
        assert "/etc is writable by others" in root_only("/run/config")
    finally:
        use_host_root("/")
