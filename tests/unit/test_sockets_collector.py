"""The sockets collector: a socket every verified dockerd serves (a rootless one too) is listed, a dead one is not."""

import socket

from hostaudit.collectors import CollectContext, sockets
from hostaudit.model import DockerEngine


def _context(tmp_path, *engines: DockerEngine) -> CollectContext:
    ctx = CollectContext(docker_host=f"unix://{tmp_path}/absent.sock")
    ctx.__dict__["processes"] = ()  # no daemon processes: only the engines found by docker_engines
    ctx.__dict__["docker_engines"] = engines
    return ctx


def test_a_rootless_dockerds_socket_is_listed_with_its_user(tmp_path):
    path = str(tmp_path / "docker.sock")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(path)
        engine = DockerEngine(path, "rootlesskit", 1000, uid=1000, user="alice", pid=7)
        dead = DockerEngine(str(tmp_path / "gone.sock"), "dockerd -H", 0, error="no socket answering")
        found = {s.path: s.daemon for s in sockets.collect(_context(tmp_path, engine, dead))}
    assert found.get(path) == "dockerd (pid 7, user alice)"
    assert str(tmp_path / "gone.sock") not in found
