"""`--host-root`: host paths map under the root, symlinks resolve inside it (an absolute link never leads to a file
of the auditing container), recorded paths stay host paths; and discovery that reads /etc/passwd reads the host's."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from hostaudit.collectors import CollectContext, podman
from hostaudit.collectors._fs import (
    host_glob,
    host_path,
    read_text,
    resolve,
    stat_file,
    use_host_root,
)
from hostaudit.model import Presence

RECORDED_DB = Path(__file__).parent / "fixtures" / "podman" / "two-created-bolt_state.db"
ALICE = 4321


@pytest.fixture
def host(tmp_path):
    """A host tree: /run/docker.sock-like file, /var/run -> /run (absolute), /etc/passwd with a rootless user."""
    root = tmp_path / "host"
    (root / "run").mkdir(parents=True)
    (root / "run" / "marker").write_text("host run\n")
    (root / "var").mkdir()
    (root / "var" / "run").symlink_to("/run")
    (root / "etc").mkdir()
    (root / "etc" / "passwd").write_text(f"root:x:0:0::/root:/bin/sh\nalice:x:{ALICE}:{ALICE}::/home/alice:/bin/sh\n")
    use_host_root(str(root))
    yield root
    use_host_root("/")


def test_absolute_symlink_resolves_inside_the_root(host):
    assert resolve("/var/run/marker") == "/run/marker"
    assert host_path("/var/run/marker") == f"{host}/run/marker"
    assert read_text("/var/run/marker").text == "host run\n"


def test_final_symlink_is_not_followed_when_asked(host):
    (host / "etc" / "link").symlink_to("/run/marker")
    assert read_text("/etc/link", follow=False).text is None
    assert read_text("/etc/link").text == "host run\n"


def test_proc_maps_by_prefix_and_recorded_paths_stay_host_paths(host):
    assert host_path("/proc/1/ns/mnt") == f"{host}/proc/1/ns/mnt"
    assert host_glob("/var/run/mar*") == ["/run/marker"]
    assert stat_file("/var/run/marker", "x").path == "/var/run/marker"


def test_dotdot_never_leaves_the_root(host):
    assert host_path("/../../../etc/passwd") == f"{host}/etc/passwd"
    (host / "etc" / "up").symlink_to("../../../../..")
    assert resolve("/etc/up/etc/passwd") == "/etc/passwd"


def test_without_a_root_paths_are_unchanged():
    assert host_path("/var/run/docker.sock") == "/var/run/docker.sock"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the storage to another uid")
def test_rootless_podman_storage_found_from_the_hosts_passwd(host):
    storage = host / "home" / "alice" / ".local" / "share" / "containers" / "storage" / "libpod"
    storage.mkdir(parents=True)
    shutil.copy(RECORDED_DB, storage / "bolt_state.db")
    os.chown(storage / "bolt_state.db", ALICE, ALICE)
    facts = podman.collect(CollectContext())
    assert [(s.graph_root, s.owner, s.error) for s in facts.stores] == [
        ("/home/alice/.local/share/containers/storage", "alice", None)]
    assert [(c.key, c.owner_uid, c.rootless) for c in facts.containers] == [
        ("podman:alice/priv", ALICE, True), ("podman:alice/sysadm", ALICE, True)]


@pytest.mark.parametrize("follow", [True, False])
def test_a_chain_of_more_than_40_symlinks_never_leads_out_of_the_root(host, tmp_path, follow):
    """/l0 -> l1 -> ... -> l41 -> <outside> inside the root: past 40 links the rest was mapped under the root as
    written, and the kernel followed the remaining links to this machine's own file. The oracle is the kernel: the
    same chain outside any root does lead to the secret, and the audit must read neither it nor anything else."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("auditing machine's file\n")
    for index in range(42):
        (host / f"l{index}").symlink_to(f"l{index + 1}")
    (host / "l42").symlink_to(outside)
    assert (host / "l40" / "secret").read_text() == "auditing machine's file\n"  # what the old mapping opened
    path = "/l0/secret"
    found = read_text(path, follow=follow)
    assert found.text is None and found.presence is Presence.UNREADABLE and "symbolic links" in found.error, found
    assert stat_file(path, "x").presence is Presence.UNREADABLE
    assert not os.path.exists(host_path(path, follow)) and host_glob("/l0/sec*") == []
    assert host_path("/run/marker") == f"{host}/run/marker"  # other paths are unaffected
