"""A hostile or broken Docker endpoint cannot hold or crash the audit: every API call ends within --timeout
whatever the server sends (a trickle, an endless chunked body), and an answer of the wrong JSON type is an error of
that source. The servers are real HTTP servers in threads, on a unix socket and on loopback TCP; the client is the
audit's own."""

from __future__ import annotations

import socketserver
import threading
import time
from collections.abc import Iterator

import pytest

from hostaudit.collectors import CollectorError, PartialFacts, docker_daemon
from hostaudit.collectors import containers as containers_collector
from hostaudit.collectors._docker_http import DockerAPI
from tests.unit.conftest import context_without_processes

TIMEOUT = 1.0
OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"


def _answer(path: str, mode: str) -> Iterator[bytes]:
    """What the fake daemon sends for `path` in each mode."""
    if path == "/_ping" and mode not in ("drip", "stall"):
        yield OK % (2, b"OK")
    elif mode == "drip":  # one byte at a time, each well within the socket timeout, forever
        for byte in iter(lambda: b"H", None):
            yield byte
            time.sleep(0.2)
    elif mode == "stall":  # the start of an answer shortly before the timeout, then silence
        time.sleep(0.8 * TIMEOUT)
        yield b"HTTP/1.1 200 OK\r\n"
        time.sleep(30)
    elif mode == "chunked":
        yield b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        chunk = b"[" + b"0," * 32767 + b"0"
        while True:
            yield b"%x\r\n%s\r\n" % (len(chunk), chunk)
    elif mode == "wrong_types":
        body = {"/info": b'{"ServerVersion": "20.10"}', "/version": b"[1, 2, 3]"}.get(path.split("?")[0], b'"x"')
        yield OK % (len(body), body)


def _handler(mode: str) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            request = self.rfile.readline().decode().split(" ")
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            try:
                for piece in _answer(request[1] if len(request) > 1 else "", mode):
                    self.wfile.write(piece)
            except OSError:
                return

    return Handler


def serve(server: socketserver.BaseServer) -> socketserver.BaseServer:
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(params=["unix", "tcp"])
def endpoint(request, tmp_path) -> Iterator[str]:
    """The fake daemon (`request.param` of the test: its mode) on a unix socket and on plain TCP on loopback."""
    mode = request.node.callspec.params["mode"]
    if request.param == "unix":
        server = serve(socketserver.ThreadingUnixStreamServer(str(tmp_path / "docker.sock"), _handler(mode)))
        url = f"unix://{tmp_path / 'docker.sock'}"
    else:
        server = serve(socketserver.ThreadingTCPServer(("127.0.0.1", 0), _handler(mode)))
        url = f"tcp://127.0.0.1:{server.server_address[1]}"
    yield url
    server.shutdown()
    server.server_close()


def within(seconds: float, call) -> BaseException | object:
    """The result (or exception) of `call()`, or fail when it has not ended after `seconds`."""
    box: list = []

    def run() -> None:
        try:
            box.append(call())
        except BaseException as exc:
            box.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still running after {seconds}s"
    return box[0], time.monotonic() - started


@pytest.mark.parametrize("mode", ["drip", "chunked"])
def test_a_trickling_or_endless_endpoint_ends_within_the_timeout(endpoint, mode):
    ctx = context_without_processes(docker_host=endpoint, docker_timeout=TIMEOUT)
    outcome, elapsed = within(20, lambda: docker_daemon.collect(ctx))
    assert isinstance(outcome, PartialFacts) and not outcome.facts.reachable
    assert "timed out" in str(outcome) or "larger than" in str(outcome)
    assert elapsed < 3 * TIMEOUT + 1  # the ping and at most two calls, each its own deadline
    outcome, _ = within(20, lambda: containers_collector.collect(ctx))
    assert isinstance(outcome, CollectorError)


@pytest.mark.parametrize("mode", ["wrong_types"])
def test_a_version_answer_that_is_a_list_is_an_error_of_the_docker_source(endpoint, mode):
    ctx = context_without_processes(docker_host=endpoint, docker_timeout=TIMEOUT)
    outcome, _ = within(20, lambda: docker_daemon.collect(ctx))
    assert isinstance(outcome, PartialFacts) and "/version is a JSON list" in str(outcome)
    outcome, _ = within(20, lambda: containers_collector.collect(ctx))
    assert isinstance(outcome, CollectorError) and "/containers/json is a JSON str" in str(outcome)



@pytest.mark.parametrize("mode", ["stall"])
def test_a_call_ends_at_its_timeout_when_the_answer_stops_shortly_before(endpoint, mode):
    """Each wait for more of an answer is only what is left of the call's time, not a fresh timeout."""
    address = endpoint.removeprefix("unix://") if endpoint.startswith("unix://") else \
        ("127.0.0.1", int(endpoint.rpartition(":")[2]))
    api = DockerAPI(address, TIMEOUT)
    outcome, elapsed = within(20, lambda: api.get("/info"))
    api.close()
    assert isinstance(outcome, TimeoutError) and "within 1s" in str(outcome)
    assert elapsed < 1.5 * TIMEOUT
