"""Discovery of every dockerd from recorded process and socket facts (a rootless dockerd recorded on this VM:
rootlesskit running dockerd-rootless.sh as uid 2901, its dockerd in rootlesskit's namespaces, socket served by 2901)."""

from __future__ import annotations

from hostaudit.collectors import ProcessEntry
from hostaudit.collectors.docker_engines import DEFAULT_SOCKET, candidates, verify

ROOTFUL = ProcessEntry(100, "dockerd", ("/usr/sbin/dockerd", "-H", "unix:///run/docker.sock", "-H", "tcp://0.0.0.0:2375"))
DEFAULT = ProcessEntry(101, "dockerd", ("/usr/sbin/dockerd", "--containerd=/run/containerd/containerd.sock"))
KIT = ProcessEntry(9726, "rootlesskit", ("rootlesskit", "--net=host", "--copy-up=/etc", "--propagation=rslave",
                                         "/usr/share/docker.io/contrib/dockerd-rootless.sh", "--data-root", "/d"))
INNER = ProcessEntry(9752, "dockerd", ("dockerd", "--data-root", "/d", "-H", "unix:///home/alice/alt.sock"))
OTHER_KIT = ProcessEntry(500, "rootlesskit", ("rootlesskit", "buildkitd"))
UIDS = {100: 0, 101: 0, 9726: 2901, 9752: 2901, 500: 3000}


def _found(dockerds, kits, runtime_dir=None):
    return candidates(dockerds, kits, [ROOTFUL, DEFAULT, KIT, INNER, OTHER_KIT], UIDS.get, lambda pid: runtime_dir)


def test_rootful_sockets_from_host_dockerd_flags_or_the_default():
    found = _found([ROOTFUL, DEFAULT], [])
    assert found == [("/run/docker.sock", "dockerd -H", 0), (DEFAULT_SOCKET, "dockerd default socket", 0)]


def test_dockerd_without_flags_serves_the_hosts_of_its_daemon_json():
    found = candidates([DEFAULT], [], [DEFAULT], UIDS.get, lambda pid: None,
                       lambda proc: ["unix:///srv/docker.sock", "tcp://0.0.0.0:2376"])
    assert found == [("/srv/docker.sock", "daemon.json hosts", 0)]


def test_rootless_dockerd_sockets_from_its_rootlesskit_parent():
    found = _found([], [KIT, OTHER_KIT], runtime_dir="/tmp/xdg")
    assert found == [("/run/user/2901/docker.sock", "rootlesskit", 2901), ("/tmp/xdg/docker.sock", "rootlesskit", 2901),
                     ("/home/alice/alt.sock", "rootlesskit", 2901)]


def test_socket_served_by_the_naming_uid_is_that_users_rootless_engine():
    engine = verify(("/run/user/2901/docker.sock", "rootlesskit", 2901), lambda path: (9752, 2901, 2901))
    assert engine.error is None and engine.rootless and engine.uid == 2901 and engine.pid == 9752


def test_a_user_cannot_pass_the_rootful_socket_off_as_their_rootless_engine():
    engine = verify(("/var/run/docker.sock", "rootlesskit", 2901), lambda path: (100, 0, 0))
    assert engine.error and "served by uid 0" in engine.error and not engine.rootless


def test_socket_without_a_server_is_not_counted():
    engine = verify(("/run/user/2901/docker.sock", "rootlesskit", 2901), lambda path: None)
    assert engine.error and not engine.rootless


def test_a_user_naming_another_users_socket_neither_claims_nor_hides_it():
    """Two users' rootlesskits name one socket (user A's dockerd points its -H at user B's): both candidates are
    verified, the kernel (SO_PEERCRED of a real socket served as B) proves it B's, and A's claim stays beside it
    with the reason. First-come per socket kept A's failed claim alone: B's engine vanished with no note."""
    import os
    import shutil
    import subprocess
    import tempfile
    import time
    from pathlib import Path

    import pytest

    from hostaudit.collectors._docker import peer_credentials

    if os.geteuid() != 0 or not os.path.exists("/usr/bin/python3"):
        pytest.skip("needs root and the system's python3 to serve a socket as another uid")
    folder = Path(tempfile.mkdtemp(dir="/tmp"))  # where the user can reach
    os.chown(folder, 2302, 2302)
    path = folder / "b.sock"
    server = subprocess.Popen(["setpriv", "--reuid=2302", "--regid=2302", "--clear-groups", "/usr/bin/python3", "-c",
                               "import socket, sys, time; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); "
                               "s.listen(); time.sleep(60)", str(path)])
    try:
        deadline = time.monotonic() + 10
        while not path.exists():
            assert time.monotonic() < deadline and server.poll() is None, "the user's server never listened"
            time.sleep(0.01)
        kit_a, kit_b = (ProcessEntry(pid, "rootlesskit", KIT.argv) for pid in (700, 800))
        inner_a, inner_b = (ProcessEntry(pid, "dockerd", ("dockerd", "-H", f"unix://{path}")) for pid in (701, 801))
        uids = {700: 2301, 701: 2301, 800: 2302, 801: 2302}
        found = candidates([], [kit_a, kit_b], [inner_a, inner_b], uids.get, lambda pid: None)
        engines = [verify(c, lambda socket_path: peer_credentials(socket_path, 2.0)) for c in found
                   if c[0] == str(path)]
        assert [(e.expected_uid, e.uid, e.error is None) for e in engines] == [(2301, 2302, False), (2302, 2302, True)]
        assert "served by uid 2302, not by uid 2301" in engines[0].error
    finally:
        server.kill()
        server.wait()
        shutil.rmtree(folder)
