"""The docker_daemon collector end to end, without a daemon: which dockerd serves the endpoint, and the facts read
from it and from its daemon.json.

The API is a real HTTP server on a unix socket in this test process, answering with the /info and /version the lab's
real dockerd 20.10 gave (tests/unit/fixtures/snapshots/lab/planted.json, recorded by tests/record_lab_snapshot.py).
The host is a tmp directory used as the host root, with /proc linked to the real one; the "dockerd" processes are
this test process (which serves the socket, as SO_PEERCRED reports) and real `sleep` children, named in a process
table given to the collector. Listening sockets and a `docker-proxy` child are real too: the kernel is the oracle.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import socketserver
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from hostaudit.collectors import (
    CollectContext,
    CollectorSkipped,
    NamespaceReference,
    PartialFacts,
    ProcessEntry,
    docker_daemon,
    read_namespaces,
)
from hostaudit.collectors._fs import use_host_root
from hostaudit.model import Presence, TcpListener
from tests.unit.conftest import SNAPSHOTS
from tests.unit.test_docker_endpoint_bounds import serve

RECORDED = json.loads((SNAPSHOTS / "lab/planted.json").read_text())["docker_daemon"]
ANSWER = b"HTTP/1.1 %d -\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"


def _recorded_api(info: object, info_status: int = 200) -> type[socketserver.StreamRequestHandler]:
    """Answers /_ping, /info and /version as the recorded dockerd did (`info` and `info_status` in place of its
    /info)."""
    bodies = {"/_ping": (200, b"OK"), "/info": (info_status, json.dumps(info).encode()),
              "/version": (200, json.dumps(RECORDED["version"]).encode())}

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            request = self.rfile.readline().decode().split(" ")
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            status, body = bodies.get(request[1] if len(request) > 1 else "", (404, b'{"message": "page not found"}'))
            with contextlib.suppress(OSError):  # a client that hung up
                self.wfile.write(ANSWER % (status, len(body), body))

    return Handler


@pytest.fixture
def root(tmp_path) -> Iterator[Path]:
    """A host root: an empty tree whose /proc is this machine's."""
    host = tmp_path / "host"
    (host / "var/run").mkdir(parents=True)
    (host / "etc").mkdir()
    (host / "proc").symlink_to("/proc")
    use_host_root(str(host))
    yield host
    use_host_root("/")


@contextlib.contextmanager
def recorded_dockerd(root: Path, path: str, info: object = None, info_status: int = 200) -> Iterator[str]:
    """The recorded API served on the host path `path` (under `root`); yields the endpoint URL as the audit sees it."""
    (root / path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
    answers = _recorded_api(RECORDED["info"] if info is None else info, info_status)
    server = serve(socketserver.ThreadingUnixStreamServer(f"{root}{path}", answers))
    try:
        yield f"unix://{root}{path}"
    finally:
        server.shutdown()
        server.server_close()


_SPAWNED: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def _end_children() -> Iterator[None]:
    yield
    while _SPAWNED:
        proc = _SPAWNED.pop()
        proc.kill()
        proc.wait()


def context(table: tuple[ProcessEntry, ...], docker_host: str | None) -> CollectContext:
    """A context whose process table is `table` and whose host processes are those in this test's namespaces."""
    ctx = CollectContext(docker_host=docker_host, docker_timeout=2.0)
    ctx.__dict__.update(processes=table, docker_engines=(),
                        reference=NamespaceReference(read_namespaces(os.getpid()), "this test process", None))
    if not ctx.is_host_process(os.getpid()):
        pytest.skip("this test process runs in a container cgroup: no process of it can be a host process")
    ctx.root_doubt = lambda pid: None  # the made-up dockerds stand for root's (the rule: tests/unit/test_root_trust)
    return ctx


def dockerd(pid: int, *args: str) -> ProcessEntry:
    return ProcessEntry(pid, "dockerd", ("/usr/bin/dockerd", *args))


def child(executable: str | None = None) -> int:
    """The pid of a new real process (`sleep`, or a copy of it named `executable`), ended after the test."""
    if executable is not None:
        shutil.copy(shutil.which("sleep") or "/bin/sleep", executable)
    proc = subprocess.Popen([executable or shutil.which("sleep") or "/bin/sleep", "60"])
    _SPAWNED.append(proc)
    return proc.pid


def test_collect_reads_the_dockerd_serving_the_socket_its_config_and_its_listeners(root):
    (root / "etc/dockerd.json").write_text(json.dumps({"tls": True, "tlsverify": True, "userns-remap": "default"}))
    argv = ("-H", "unix:///run/docker.sock", "--config-file", "/etc/dockerd.json")
    with recorded_dockerd(root, "/run/docker.sock") as url, socket.socket() as listener:
        os.chmod(root / "run/docker.sock", 0o660)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        facts = docker_daemon.collect(context((dockerd(child()), dockerd(os.getpid(), *argv)), url))
    assert (facts.pid, facts.argv, facts.flags["host"]) == (os.getpid(), ("/usr/bin/dockerd", *argv),
                                                            ("unix:///run/docker.sock",))
    assert facts.reachable and facts.error is None and facts.endpoint == url
    assert (facts.info, facts.version) == (RECORDED["info"], RECORDED["version"])
    assert (facts.config.path, facts.config.presence) == ("/etc/dockerd.json", Presence.PRESENT)
    assert facts.config.data == {"tls": True, "tlsverify": True, "userns-remap": "default"}
    assert (facts.image_count, facts.container_count, facts.stopped_container_count) == (
        RECORDED["info"]["Images"], RECORDED["info"]["Containers"], RECORDED["info"]["ContainersStopped"])
    # the API answered: it decides, and this daemon's SecurityOptions name neither rootless nor userns
    assert (facts.rootless, facts.userns_remap) == (False, False)
    assert facts.started_at == psutil.Process().create_time()
    assert facts.proxy_processes == 0
    assert TcpListener("127.0.0.1", port, True, True, "listening") in facts.tcp_listeners
    assert [(s.path, s.presence, s.mode) for s in facts.sockets] == [("/run/docker.sock", Presence.PRESENT, 0o660)]


@pytest.mark.parametrize(("extra_options", "flags", "expected"), [
    # moby daemon/info.go appends these SecurityOptions for a rootless daemon and a userns-remapped one
    (["name=rootless", "name=userns"], (), (True, True)),
    ([], ("--rootless", "--userns-remap=default"), (False, False)),
])
def test_rootless_and_userns_come_from_the_api_when_it_answers(root, extra_options, flags, expected):
    info = {**RECORDED["info"], "SecurityOptions": [*RECORDED["info"]["SecurityOptions"], *extra_options]}
    with recorded_dockerd(root, "/run/docker.sock", info) as url:
        facts = docker_daemon.collect(context((dockerd(os.getpid(), "-H", "unix:///run/docker.sock", *flags),), url))
    assert (facts.rootless, facts.userns_remap) == expected


def test_the_sockets_are_the_dockerd_s_and_the_endpoint_as_host_paths(root):
    argv = ("-H", "unix:///run/second.sock", "-H", "unix:///run/docker.sock")  # second.sock: named, absent
    with recorded_dockerd(root, "/run/docker.sock") as url:
        facts = docker_daemon.collect(context((dockerd(os.getpid(), *argv),), url))
    assert [(s.path, s.presence) for s in facts.sockets] == [
        ("/run/second.sock", Presence.ABSENT), ("/run/docker.sock", Presence.PRESENT)]


def test_the_docker_proxy_children_of_the_dockerd_are_counted(root, tmp_path):
    """The "dockerd" is a shell whose child is a copy of sleep named docker-proxy; this test process is not its
    parent, so only the dockerd's own children can give the count."""
    proxy = tmp_path / "docker-proxy"
    shutil.copy(shutil.which("sleep") or "/bin/sleep", proxy)
    shell = subprocess.Popen(["/bin/sh", "-c", f"{proxy} 60 & {proxy} 60 & wait"])
    _SPAWNED.append(shell)
    try:
        for _ in range(100):  # until the shell has started both
            if len(psutil.Process(shell.pid).children()) == 2:
                break
            time.sleep(0.02)
        with recorded_dockerd(root, "/run/docker.sock") as url:  # served by this process: found by its -H flag
            facts = docker_daemon.collect(context((dockerd(shell.pid, "-H", "unix:///run/docker.sock"),), url))
        assert (facts.pid, facts.proxy_processes) == (shell.pid, 2)
    finally:
        for proc in psutil.Process(shell.pid).children():
            proc.kill()


def test_the_command_line_and_daemon_json_decide_when_the_api_does_not_answer(root):
    (root / "etc/dockerd.json").write_text(json.dumps({"userns-remap": "default", "hosts": ["tcp://0.0.0.0:2375"]}))
    argv = ("--rootless", "-H", "unix:///run/docker.sock", "--config-file", "/etc/dockerd.json")  # no socket there
    with pytest.raises(PartialFacts) as raised:
        docker_daemon.collect(context((dockerd(os.getpid(), *argv),), f"unix://{root}/run/docker.sock"))
    facts = raised.value.facts
    assert f"dockerd (pid {os.getpid()}) is running: its socket is missing" in str(raised.value) == facts.error
    assert not facts.reachable and facts.info is None and facts.version is None
    assert (facts.pid, facts.rootless, facts.userns_remap) == (os.getpid(), True, True)
    assert (facts.image_count, facts.container_count, facts.stopped_container_count) == (None, None, None)
    assert TcpListener("0.0.0.0", 2375, False, False, "daemon.json") in facts.tcp_listeners
    assert [(s.path, s.presence) for s in facts.sockets] == [("/run/docker.sock", Presence.ABSENT)]


def test_without_socket_dockerd_or_daemon_json_docker_is_skipped(root, monkeypatch):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    with pytest.raises(CollectorSkipped):
        docker_daemon.collect(context((), None))


def test_a_daemon_json_without_socket_or_dockerd_is_still_read(root, monkeypatch):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    (root / "etc/docker").mkdir()
    (root / "etc/docker/daemon.json").write_text('{"icc": false}')
    with pytest.raises(PartialFacts) as raised:
        docker_daemon.collect(context((), None))
    facts = raised.value.facts
    assert str(raised.value) == facts.error == f"docker: no socket at unix://{root}/var/run/docker.sock"
    assert (facts.pid, facts.argv, facts.flags, facts.proxy_processes, facts.started_at) == (None, (), {}, None, None)
    assert (facts.config.path, facts.config.data) == ("/etc/docker/daemon.json", {"icc": False})
    assert (facts.rootless, facts.userns_remap) == (False, False)  # configured nowhere
    assert [(s.path, s.presence) for s in facts.sockets] == [("/var/run/docker.sock", Presence.ABSENT)]


def test_the_dockerd_behind_a_tcp_endpoint_is_the_process_listening_on_its_port(root):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        table = (dockerd(child(), "-H", "tcp://127.0.0.1:1"), dockerd(os.getpid(), "-H", f"tcp://127.0.0.1:{port}"))
        for url in (f"tcp://127.0.0.1:{port}", f"http://127.0.0.1:{port}/", f"https://localhost:{port}/a/b",
                    f"tcp://127.0.0.1:{port}/a://b"):
            assert docker_daemon.find_dockerd(context(table, url)) == table[1], url
    assert docker_daemon.find_dockerd(context(table, f"tcp://127.0.0.1:{port}")) is None  # nobody listens now
    assert docker_daemon.find_dockerd(context(table, "tcp://127.0.0.1")) is None  # no port: nothing to look up


def test_a_dockerd_that_is_not_the_socket_s_server_is_found_by_its_h_flags(root):
    (root / "run").mkdir()
    (root / "run/link.sock").symlink_to("docker.sock")
    with recorded_dockerd(root, "/run/docker.sock") as url:  # served by this process, which is no dockerd here
        others = (dockerd(child(), "-H", "unix:///run/other.sock"), dockerd(child(), "-H", "fd://"))
        named = dockerd(child(), "-H", "unix:///run/other.sock", "-H", "unix:///run/docker.sock")
        linked = dockerd(child(), "--host=unix:///run/link.sock")
        assert docker_daemon.find_dockerd(context((*others, named), url)) == named
        assert docker_daemon.find_dockerd(context((*others, linked), url)) == linked
        assert docker_daemon.find_dockerd(context(others, url)) is None


def test_the_only_dockerd_is_taken_for_the_default_socket_only(root):
    """A socket-activated dockerd (-H fd://) names no socket: when it is the only one, the default socket is its."""
    activated = dockerd(child(), "-H", "fd://")
    with recorded_dockerd(root, "/var/run/docker.sock") as url:
        assert docker_daemon.find_dockerd(context((activated,), url)) == activated
        assert docker_daemon.find_dockerd(context((activated, dockerd(child(), "-H", "fd://")), url)) is None
    with recorded_dockerd(root, "/run/elsewhere.sock") as url:
        assert docker_daemon.find_dockerd(context((activated,), url)) is None


def test_counts_of_a_wrong_type_are_unknown(root):
    info = {**RECORDED["info"], "Images": True, "Containers": "37", "ContainersStopped": None,
            "SecurityOptions": {"name=rootless": "a mapping, not the list of strings the API sends"}}
    with recorded_dockerd(root, "/run/docker.sock", info) as url:
        facts = docker_daemon.collect(context((dockerd(os.getpid(), "-H", "unix:///run/docker.sock"),), url))
    assert (facts.image_count, facts.container_count, facts.stopped_container_count) == (None, None, None)
    assert facts.rootless is False


def test_an_info_answer_of_the_wrong_type_names_the_endpoint(root):
    with recorded_dockerd(root, "/run/docker.sock", ["a", "list"]) as url, pytest.raises(PartialFacts) as raised:
        docker_daemon.collect(context((dockerd(os.getpid(), "-H", "unix:///run/docker.sock"),), url))
    assert "/info is a JSON list" in str(raised.value)


def test_an_api_error_names_the_endpoint(root):
    with recorded_dockerd(root, "/run/docker.sock", {"message": "daemon broken"}, 500) as url, \
            pytest.raises(PartialFacts) as raised:
        docker_daemon.collect(context((dockerd(os.getpid(), "-H", "unix:///run/docker.sock"),), url))
    assert str(raised.value).startswith(f"docker: API call failed at {url}: ")


def test_without_a_dockerd_the_only_socket_is_the_audited_endpoint(root, monkeypatch):
    """No dockerd runs: the default socket path is not claimed as its socket, only the endpoint is recorded."""
    (root / "etc/docker").mkdir()
    (root / "etc/docker/daemon.json").write_text("{}")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{root}/run/other.sock")
    with pytest.raises(PartialFacts) as raised:
        docker_daemon.collect(context((), None))
    assert [(s.path, s.presence) for s in raised.value.facts.sockets] == [("/run/other.sock", Presence.ABSENT)]


def test_the_swarm_ports_of_an_active_swarm_are_not_api_listeners(root, monkeypatch):
    info = {**RECORDED["info"], "Swarm": {**RECORDED["info"]["Swarm"], "LocalNodeState": "active"}}
    with recorded_dockerd(root, "/run/docker.sock", info) as url, socket.socket() as gossip:
        gossip.bind(("127.0.0.1", 0))
        gossip.listen()
        monkeypatch.setattr(docker_daemon, "SWARM_PORTS", (gossip.getsockname()[1],))
        facts = docker_daemon.collect(context((dockerd(os.getpid(), "-H", "unix:///run/docker.sock"),), url))
        assert gossip.getsockname()[1] not in {t.port for t in facts.tcp_listeners}


def test_the_dockerd_behind_an_ipv6_tcp_endpoint_is_found_by_its_port(root):
    try:
        listener = socket.socket(socket.AF_INET6)
        listener.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with listener:
        listener.listen()
        table = (dockerd(os.getpid(), "-H", f"tcp://[::1]:{listener.getsockname()[1]}"),)
        assert docker_daemon.find_dockerd(context(table, f"tcp://[::1]:{listener.getsockname()[1]}")) == table[0]


def test_the_kernel_s_word_on_the_socket_s_server_wins_over_h_flags(root):
    """Two dockerds name the same socket (one stale, say): the one SO_PEERCRED reports serving it is the one."""
    with recorded_dockerd(root, "/run/docker.sock") as url:
        stale, serving = (dockerd(pid, "-H", "unix:///run/docker.sock") for pid in (child(), os.getpid()))
        assert docker_daemon.find_dockerd(context((stale, serving), url)) == serving
