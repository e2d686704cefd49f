"""`hostaudit watch` on Podman storage: a container made with `podman create` while the watch runs gets the verdict
and failing checks the one-shot audit gives it, a hardened one no line at --fail-on high, a removed one a removal
line, and a user's rootless container is judged as that user's.

The oracles are Podman (`podman create`, `podman inspect`, `podman rm` on a private storage root, root's or a
throw-away user's) and a separate `hostaudit audit --format json` of the same storage."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile_storage import fanned_out_bolt
from tests.hostile_user import HostileUser, hostile_user
from tests.lab import PrivatePodman, busybox_tar, empty_containerd_state, lab_dir, run_hostaudit
from tests.watching import Watching, assert_audit_finds_nothing_high, audited

pytestmark = [pytest.mark.skipif(shutil.which("podman") is None, reason="podman is not installed (Debian: podman)"),
              pytest.mark.skipif(os.geteuid() != 0, reason="needs root")]

POLLING = "podman: reading its stores"  # what the watch says once it has read the stores


@pytest.fixture(scope="module")
def podman() -> Iterator[PrivatePodman]:
    lab = PrivatePodman(lab_dir("hwp-"))
    try:
        lab.import_image()
        yield lab
    finally:
        lab.remove_all()


def _only(base: Path, *roots: Path) -> tuple[str, ...]:
    """Options keeping the watch and the audit on these storage roots (no Docker, containerd or CRI of the host)."""
    return ("--docker-host", f"unix://{base}/no-docker.sock", "--containerd-state", str(empty_containerd_state(base)),
            "--cri-endpoint", f"unix://{base}/no-cri.sock",
            *(option for root in roots for option in ("--podman-root", str(root))))


def _watching(*args: str) -> Watching:
    running = Watching(*args, "--podman-every", "0.5")
    running.wait_following(said=POLLING)
    return running


def _audit(*args: str) -> dict:
    return json.loads(run_hostaudit("audit", "--format", "json", *args).stdout)


def test_created_weak_containers_get_the_one_shot_audits_verdict_and_removal_a_line(podman):
    podman.podman("rm", "--all", "--force")
    where = _only(podman.base, podman.root)
    running = _watching(*where)
    try:
        podman.create("pw-sysadmin", "--cap-add", "SYS_ADMIN")
        podman.create("pw-priv", "--privileged")
        found = running.wait_for_each(["podman:root/pw-sysadmin", "podman:root/pw-priv"])  # one poll may see both
        lines = {key.removeprefix("podman:root/"): line for key, line in found.items()}
        inspected = {c["Name"]: c for c in json.loads(podman.podman("inspect", "pw-sysadmin", "pw-priv").stdout)}
        assert inspected["pw-priv"]["HostConfig"]["Privileged"] is True
        assert "CAP_SYS_ADMIN" in inspected["pw-sysadmin"]["HostConfig"]["CapAdd"]
        report = _audit(*where)
        for name, line in lines.items():
            assert (line["verdict"], line["failing"], line["paths"]) == audited(report, f"podman:root/{name}"), name
            assert (line["engine"], line["event"]) == ("podman:root", "create")
        assert lines["pw-priv"]["verdict"] == "escapable" and "container.privileged" in lines["pw-priv"]["failing"]
        assert "container.cap_sys_admin" in lines["pw-sysadmin"]["failing"]
        _unreadable_for_a_while(podman.root / "libpod" / "bolt_state.db", running)
        assert not [raw for raw in running.raw if '"destroy"' in raw]  # unread is not gone
        assert json.loads(podman.podman("inspect", "pw-sysadmin").stdout)[0]["Name"] == "pw-sysadmin"
        podman.podman("rm", "pw-sysadmin")
        gone = running.wait_for("podman:root/pw-sysadmin", event="destroy")
        assert (gone["verdict"], gone["failing"]) == (None, [])
        assert running.stop() == 0
    finally:
        if running.process.poll() is None:
            running.process.kill()


def _said(running: Watching, text: str, timeout: float = 30.0) -> None:
    ends = time.monotonic() + timeout
    while not any(text in line for line in running.stderr):
        assert time.monotonic() < ends, f"the watch never said {text!r}: {''.join(running.stderr)[-2000:]}"
        time.sleep(0.1)


def _unreadable_for_a_while(database: Path, running: Watching) -> None:
    """The store's database overwritten with what is not one until the watch has tried to read it, then put back."""
    saved = database.read_bytes()
    try:
        database.write_bytes(b"\0" * len(saved))
        _said(running, f"{database}: ")
    finally:
        database.write_bytes(saved)
    _said(running, "every store read again")


def test_hardened_container_gives_no_line_at_fail_on_high(podman):
    podman.podman("rm", "--all", "--force")
    where = _only(podman.base, podman.root)
    running = _watching(*where, "--fail-on", "high")
    try:
        # a user namespace and a seccomp profile of its own: without them the audit calls a created container
        # `weakened` (root without a user namespace) with a high failing check (Podman's profile allows mount)
        profile = podman.base / "strict-seccomp.json"
        profile.write_text(json.dumps({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"action": "SCMP_ACT_ALLOW",
                                       "names": ["read", "write", "openat", "close", "execve", "brk", "mmap",
                                                 "munmap", "nanosleep", "rt_sigreturn", "exit", "exit_group"]}]}))
        podman.create("pw-hardened", "--cap-drop", "ALL", "--user", "1000:1000", "--read-only",
                      "--security-opt", "no-new-privileges", "--network", "none", "--uidmap", "0:300000:65536",
                      "--gidmap", "0:300000:65536", "--security-opt", f"seccomp={profile}")
        podman.create("pw-marker", "--cap-add", "SYS_ADMIN")  # made after it: its line proves the first was read
        assert running.wait_for("podman:root/pw-marker")["failing"]
        assert all(json.loads(raw)["subject"] != "podman:root/pw-hardened" for raw in running.raw)
        assert_audit_finds_nothing_high(_audit(*where), "podman:root/pw-hardened")
        assert running.stop() == 0
    finally:
        if running.process.poll() is None:
            running.process.kill()


def _podman_as(user: HostileUser, store: Path, *args: str) -> str:
    """`podman` run by the user (rootless) on `store`; its output."""
    done = user.run(["podman", "--root", str(store), "--runroot", str(user.home / "run"), "--storage-driver", "vfs",
                     "--tmpdir", str(user.home / "tmp"), *args])
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_a_users_rootless_container_is_judged_as_that_users():
    base = lab_dir("hwpu-")
    with hostile_user() as user:
        store = user.home / ".local/share/containers/storage"
        user.write("busybox.tar", busybox_tar())
        _podman_as(user, store, "import", str(user.home / "busybox.tar"), "localhost/lab/busybox:1")
        where = _only(base, store)
        running = _watching(*where)
        try:
            _podman_as(user, store, "create", "--name", "rl-sysadmin", "--cap-add", "SYS_ADMIN",
                       "localhost/lab/busybox:1", "sleep", "60")
            key = f"podman:{user.name}/rl-sysadmin"
            line = running.wait_for(key)
            report = _audit(*where)
            assert (line["verdict"], line["failing"], line["paths"]) == audited(report, key)
            assert line["engine"] == f"podman:{user.name}" and "container.cap_sys_admin" in line["failing"]
            owner = next(c for c in report["containers"] if c["key"] == key)
            assert (owner["owner"], owner["source"]) == (user.name, "podman")
            assert running.stop() == 0
        finally:
            if running.process.poll() is None:
                running.process.kill()
    shutil.rmtree(base, ignore_errors=True)


def test_a_users_hostile_store_holds_up_no_line_of_the_others(podman):
    """A user's bolt_state.db whose pages fan out without end (tests/hostile_storage.py) beside the lab's store: the
    watch says why it cannot read that store, and a container created in the lab's still gets its line."""
    podman.podman("rm", "--all", "--force")
    with hostile_user() as user:
        store = user.home / ".local/share/containers/storage"
        planted = user.write(".local/share/containers/storage/libpod/bolt_state.db", fanned_out_bolt())
        running = _watching(*_only(podman.base, podman.root, store))
        try:
            _said(running, f"{planted}: ")
            podman.create("pw-beside", "--cap-add", "SYS_ADMIN")
            line = running.wait_for("podman:root/pw-beside")
            assert "container.cap_sys_admin" in line["failing"] and running.process.poll() is None
            assert running.stop() == 0
        finally:
            if running.process.poll() is None:
                running.process.kill()
