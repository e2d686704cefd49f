"""The audit's own HTTP/1.1 reader of Docker API answers, against an HTTP server it did not write: the standard
library's `http.server` on a unix socket, answering with a length, in chunks (with extensions and trailers), up to
the connection's end, after an interim 100, with an error status; and answers no HTTP server may send, refused."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from hostaudit.collectors import _docker_http
from hostaudit.collectors._docker_http import DockerAPI, DockerAPIError, ProtocolError

BODY = {"Id": "abc", "Name": "/web", "Config": {"Labels": {"note": "ünïcode ✓"}}, "List": list(range(2000))}
RAW = {  # answers written byte by byte, for what a server library would not send
    "/bad-status": b"HTTP/2 200 OK\r\nContent-Length: 2\r\n\r\n{}",
    "/bad-header": b"HTTP/1.1 200 OK\r\nno colon here\r\nContent-Length: 2\r\n\r\n{}",
    "/bad-chunk": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    "/gzip": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    "/short": b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\n{}",
    "/huge-length": b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
    "/huge-head": b"HTTP/1.1 200 OK\r\nX-Pad: " + b"a" * 70_000 + b"\r\n\r\n{}",
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    connections: list[int] = []

    def setup(self) -> None:
        super().setup()
        Handler.connections.append(id(self.connection))

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        payload = json.dumps(BODY).encode()
        if self.path in RAW:
            self.wfile.write(RAW[self.path])
            self.close_connection = True
        elif self.path == "/length":
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(payload), 777):
                piece = payload[start:start + 777]
                self.wfile.write(b"%x;ext=1\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\nX-Trailer: yes\r\n\r\n")
        elif self.path == "/to-the-end":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(payload)
            self.close_connection = True
        elif self.path == "/interim":
            self.send_response_only(100)
            self.end_headers()
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        elif self.path == "/no-content":
            self.send_response(204)
            self.end_headers()
        else:
            self.send_error(404, "no such container")


class Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # a client that stops reading an answer it refused: a broken pipe here, expected


def _served(socket: str, handler: type[Handler]) -> Iterator[DockerAPI]:
    """A client of `handler` served on `socket` by a server thread, both closed after the test."""
    Handler.connections = []
    server = Server(socket, handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    client = DockerAPI(socket, timeout=2.0)
    yield client
    client.close()
    server.shutdown()
    server.server_close()


@pytest.fixture()
def api(tmp_path) -> Iterator[DockerAPI]:
    yield from _served(str(tmp_path / "docker.sock"), Handler)


@pytest.mark.parametrize("path", ["/length", "/chunked", "/to-the-end", "/interim"])
def test_every_way_a_server_delimits_a_body_is_read(api, path):
    assert api.get(path) == BODY


def test_one_connection_carries_many_exchanges_until_the_server_closes_it(api):
    for _ in range(5):
        assert api.get("/length") == BODY
        assert api.get("/chunked") == BODY
    assert len(Handler.connections) == 1
    assert api.get("/to-the-end") == BODY  # the server closes: the next exchange opens a new connection
    assert api.get("/length") == BODY
    assert len(Handler.connections) == 2


def test_an_error_status_is_an_api_error_with_its_code(api):
    with pytest.raises(DockerAPIError) as raised:
        api.get("/containers/gone/json")
    assert raised.value.status_code == 404
    assert api.get("/length") == BODY  # the connection is still good


def test_no_content_is_an_empty_answer(api):
    assert api._exchange("/no-content") == (204, b"")


@pytest.mark.parametrize("path", ["/bad-status", "/bad-header", "/bad-chunk", "/gzip", "/short", "/huge-head"])
def test_answers_that_are_not_http_1_are_refused(api, path):
    with pytest.raises(ProtocolError):
        api.get(path)
    assert api.get("/length") == BODY  # a fresh connection after the broken one


def test_a_body_over_the_limit_is_refused_before_it_is_read(api, monkeypatch):
    with pytest.raises(DockerAPIError, match="larger than"):
        api.get("/huge-length")
    monkeypatch.setattr(_docker_http, "MAX_RESPONSE", 1000)
    for path in ("/length", "/chunked", "/to-the-end"):
        with pytest.raises(DockerAPIError, match="larger than 1000 bytes"):
            api.get(path)


class Http10Handler(Handler):
    """The standard library's server speaking HTTP/1.0: a length, no Connection header, then it closes."""

    protocol_version = "HTTP/1.0"


@pytest.fixture()
def api_http10(tmp_path) -> Iterator[DockerAPI]:
    yield from _served(str(tmp_path / "docker.sock"), Http10Handler)


def test_an_http_1_0_answer_ends_its_connection(api_http10):
    """HTTP/1.0 without `Connection: keep-alive` closes after each answer: every exchange needs a new connection."""
    for path in ("/length", "/to-the-end", "/length", "/length"):
        assert api_http10.get(path) == BODY
    assert len(Handler.connections) == 4
