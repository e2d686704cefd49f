"""Listener discovery and TLS state of the Docker daemon (hostaudit/collectors/docker_daemon.py).

The argv cases follow dockerd's own rules (cmd/dockerd: `--tlsverify` given at all turns TLS on; the default port is
2376 with TLS, 2375 without); the listening-socket case uses a real socket of this test process as its oracle.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from hostaudit.collectors.docker_daemon import _tcp_listeners
from hostaudit.model import TcpListener
from hostaudit.parsers import parse_dockerd_argv


def _from_argv(*args: str, config: dict | None = None, pid: int | None = None, info: dict | None = None
               ) -> tuple[TcpListener, ...]:
    return _tcp_listeners(parse_dockerd_argv(["dockerd", *args]), config or {}, pid, info)


def test_plain_tcp_from_argv_is_neither_tls_nor_verified():
    assert _from_argv("-H", "unix:///run/docker.sock", "-H", "tcp://127.0.0.1:2375") == (
        TcpListener("127.0.0.1", 2375, False, False, "argv"),)


def test_tls_without_verify_is_not_recorded_as_verified():
    assert _from_argv("-H", "tcp://0.0.0.0:2376", "--tls", "--tlscert", "c.pem", "--tlskey", "k.pem") == (
        TcpListener("0.0.0.0", 2376, True, False, "argv"),)


def test_tlsverify_is_tls_and_verified():
    assert _from_argv("--tlsverify", "-Htcp://0.0.0.0:2376") == (TcpListener("0.0.0.0", 2376, True, True, "argv"),)


@pytest.mark.parametrize("spelling", ["--tlsverify=1", "--tlsverify=TRUE", "--tlsverify"])
def test_every_true_spelling_of_tlsverify_verifies(spelling):
    assert _from_argv(spelling, "-H", "tcp://0.0.0.0:2376")[0].tls_verify is True


def test_tlsverify_false_still_turns_tls_on_without_verification():
    assert _from_argv("--tlsverify=false", "--host=tcp://10.0.0.1:2376") == (
        TcpListener("10.0.0.1", 2376, True, False, "argv"),)


def test_daemon_json_hosts_are_listeners_with_its_tls_settings():
    config = {"hosts": ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2376"], "tls": True}
    assert _from_argv(config=config) == (TcpListener("0.0.0.0", 2376, True, False, "daemon.json"),)
    verified = {**config, "tlsverify": True}
    assert _from_argv(config=verified) == (TcpListener("0.0.0.0", 2376, True, True, "daemon.json"),)


def test_a_tlsverify_key_in_daemon_json_turns_tls_on_even_when_false():
    config = {"hosts": "tcp://0.0.0.0:2376", "tlsverify": False}  # one string is read as one host
    assert _from_argv(config=config) == (TcpListener("0.0.0.0", 2376, True, False, "daemon.json"),)


def test_flags_and_daemon_json_hosts_are_both_read():
    found = _from_argv("-H", "tcp://127.0.0.1:2375", config={"hosts": ["tcp://0.0.0.0:2377"]})
    assert {(t.port, t.source) for t in found} == {(2375, "argv"), (2377, "daemon.json")}


@pytest.mark.parametrize(("host", "flags", "expected"), [
    ("tcp://", (), ("0.0.0.0", 2375)),
    ("tcp://:2380", (), ("0.0.0.0", 2380)),
    ("tcp://192.0.2.1", (), ("192.0.2.1", 2375)),
    ("tcp://192.0.2.1", ("--tls",), ("192.0.2.1", 2376)),
    ("tcp://192.0.2.1:99999", (), ("192.0.2.1", 2375)),
    ("tcp://192.0.2.1:65535", (), ("192.0.2.1", 65535)),
    ("tcp://192.0.2.1:2380/", (), ("192.0.2.1", 2380)),
    ("tcp://[::1]:2380", (), ("[::1]", 2380)),
    ("tcp://[::]", ("--tlsverify",), ("[::]", 2376)),
])
def test_default_address_and_port(host, flags, expected):
    (listener,) = _from_argv("-H", host, *flags)
    assert (listener.address, listener.port) == expected


def test_unix_and_fd_hosts_are_not_tcp_listeners():
    assert _from_argv("-H", "unix:///run/docker.sock", "-H", "fd://") == ()


def test_a_real_listening_socket_is_found_when_nothing_declares_it():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        found = _from_argv("-H", "fd://", pid=os.getpid())
    assert TcpListener("127.0.0.1", port, False, False, "listening") in found


def test_a_declared_listener_keeps_its_source_when_also_listening():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        found = _from_argv("-H", f"tcp://127.0.0.1:{port}", "--tls", pid=os.getpid())
    assert [t for t in found if t.port == port] == [TcpListener("127.0.0.1", port, True, False, "argv")]


def test_an_unreadable_process_adds_no_listener():
    assert _from_argv(pid=2**22 + 1) == ()


def _listening_port() -> socket.socket:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    return server


def test_the_metrics_address_is_not_an_api_listener():
    with _listening_port() as server:
        port = server.getsockname()[1]
        assert _from_argv("-H", "fd://", "--metrics-addr", f"127.0.0.1:{port}", pid=os.getpid()) == ()
        assert _from_argv("-H", "fd://", config={"metrics-addr": f"127.0.0.1:{port}"}, pid=os.getpid()) == ()


@pytest.mark.parametrize(("state", "listed"), [("active", False), ("inactive", True)])
def test_swarm_ports_are_not_api_listeners_in_an_active_swarm(state, listed, monkeypatch):
    from hostaudit.collectors import docker_daemon

    with _listening_port() as server:
        port = server.getsockname()[1]
        monkeypatch.setattr(docker_daemon, "SWARM_PORTS", (port,))
        found = _from_argv("-H", "fd://", pid=os.getpid(), info={"Swarm": {"LocalNodeState": state}})
    assert (TcpListener("127.0.0.1", port, False, False, "listening") in found) is listed


def test_established_connections_are_not_listeners():
    """Only sockets in LISTEN state are listeners: a connection of the daemon (its local port is ephemeral) is not."""
    with _listening_port() as server, socket.create_connection(server.getsockname()) as client:
        accepted, _ = server.accept()
        with accepted:
            ports = {t.port for t in _from_argv("-H", "fd://", pid=os.getpid())}
        assert server.getsockname()[1] in ports
        assert client.getsockname()[1] not in ports


def test_the_listeners_are_those_of_the_daemon_process_not_of_the_auditor():
    code = ("import socket, sys, time\ns = socket.socket()\ns.bind(('127.0.0.1', 0))\ns.listen()\n"
            "print(s.getsockname()[1], flush=True)\ntime.sleep(60)\n")
    daemon = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        port = int(daemon.stdout.readline())
        with _listening_port() as own:
            ports = {t.port for t in _from_argv("-H", "fd://", pid=daemon.pid)}
            assert (port in ports, own.getsockname()[1] in ports) == (True, False)
    finally:
        daemon.kill()
        daemon.wait()


def test_the_server_of_a_tcp_endpoint_is_the_process_listening_at_that_address():
    """A real listening socket of this test process is the oracle: it serves its own address (and `localhost`), but
    not the same port of an address it is not bound to, nor of another host (the old lookup matched the port only,
    so a remote endpoint was taken for the local process listening on the same port)."""
    from hostaudit.collectors._docker import tcp_server_pid

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert tcp_server_pid(f"tcp://127.0.0.1:{port}") == os.getpid()
        assert tcp_server_pid(f"http://localhost:{port}") == os.getpid()
        assert tcp_server_pid(f"tcp://192.0.2.7:{port}") is None  # TEST-NET-1: never an address of this host
        assert tcp_server_pid(f"unix:///run/x.sock:{port}") is None
