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
