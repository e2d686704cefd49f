"""A lean, read-only Docker Engine API client over a unix socket or plain TCP: GET and JSON, one keep-alive
HTTP/1.1 connection per thread.

The audit needs four endpoints. Going through the docker SDK (requests + urllib3) cost about 2 ms per call, and the
standard library's http.client (its e-mail header parser) still 0.2 ms of CPU, which made the inspect of 1000
containers the slowest part of an audit: answers are read here with a small parser of HTTP/1.1 responses (status,
headers, a body by Content-Length, chunks or the connection's end), every part bounded. Unversioned paths let the
daemon answer in its own API version, so there is nothing to negotiate.
"""

from __future__ import annotations

import json
import math
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

MAX_RESPONSE = 128 * 1024 * 1024  # bytes of one answer: far above 10,000 containers listed, far below the RAM
MAX_LIST_RESPONSE = 32 * 1024 * 1024  # bytes of the container list: 10,000 containers at 3 KiB each
MAX_INSPECT_RESPONSE = 4 * 1024 * 1024  # bytes of one container's inspect (a real one is 5-50 KiB); 16 run at once
MAX_VALUES = 1_000_000  # JSON values one answer may decode to (about 100 MB of Python objects at worst)
MAX_EVENT = 64 * 1024  # bytes of one streamed event (a real one is under 2 KiB: its labels make it grow)
MAX_HEAD = 64 * 1024  # bytes of a status line and its headers, or of one chunk-size line or trailer
MAX_INTERIM = 8  # 1xx answers skipped before the real one
_HEX = frozenset(b"0123456789abcdefABCDEF")


class ProtocolError(OSError):
    """The daemon's answer is not HTTP/1.x as it must be: the exchange fails, the connection is dropped."""


class DockerAPIError(Exception):
    """The daemon answered with an error status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status_code = status


def _too_large(status: int, endpoint: str, limit: int) -> DockerAPIError:
    return DockerAPIError(status, f"answer to {endpoint} larger than {limit} bytes")


def value_count_bound(body: bytes) -> int:
    """An upper bound on the number of JSON values `body` decodes to, counted on the bytes before decoding: every
    value but the first opens an array or object or follows a comma (commas and brackets inside strings only raise
    the bound). `[{},{},...]` is 3 bytes a value but some 70 bytes of Python objects: the byte bound alone is not
    enough."""
    return body.count(b",") + body.count(b"[") + body.count(b"{") + 1


def expect_shape(value: Any, expect: type, endpoint: str) -> Any:
    """`value` when it is of type `expect`; a DockerAPIError naming the endpoint otherwise (a `/version` that
    answers a list is a broken source, not a crash)."""
    if not isinstance(value, expect):
        raise DockerAPIError(200, f"answer to {endpoint} is a JSON {type(value).__name__}, not {expect.__name__}")
    return value


class _DeadlineSocket(socket.socket):
    """A socket whose every send and receive ends by its `deadline` (on the time.monotonic() clock), which the
    client sets per exchange: a server that trickles bytes cannot stretch one answer past the timeout."""

    deadline = math.inf

    def _bound(self) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        self.settimeout(left)

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        self._bound()
        return super().recv_into(buffer, nbytes, flags)

    def sendall(self, data: Any, flags: int = 0) -> None:
        self._bound()
        super().sendall(data, flags)


def _tcp_connection(address: tuple[str, int], timeout: float) -> _DeadlineSocket:
    plain = socket.create_connection(address, timeout)
    sock = _DeadlineSocket(fileno=plain.detach())
    sock.settimeout(timeout)
    return sock


def _unix_connection(path: str, timeout: float) -> _DeadlineSocket:
    sock = _DeadlineSocket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        raise
    return sock


class _Connection:
    """One keep-alive HTTP/1.1 connection to the daemon, used by one thread: a GET sent, its answer read."""

    def __init__(self, address: str | tuple[str, int], timeout: float) -> None:
        self.address = address
        self.timeout = timeout
        self.sock: _DeadlineSocket | None = None
        self._pending = bytearray()  # received, not yet consumed
        self._chunk = bytearray(65536)

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None
        self._pending.clear()

    def _request(self, endpoint: str, deadline: float) -> tuple[int, dict[bytes, bytes], bool]:
        """Send `GET endpoint` and read the head of its answer (interim answers skipped), all by `deadline`."""
        if self.sock is None:
            address = self.address
            self.sock = _unix_connection(address, self.timeout) if isinstance(address, str) else \
                _tcp_connection(address, self.timeout)
        self.sock.deadline = deadline
        self.sock.sendall(f"GET {endpoint} HTTP/1.1\r\nHost: docker\r\nUser-Agent: hostaudit\r\n"
                          "Accept: application/json\r\nAccept-Encoding: identity\r\n\r\n".encode("ascii"))
        for _ in range(MAX_INTERIM + 1):
            status, headers, keep = self._head()
            if not 100 <= status < 200:
                return status, headers, keep
        raise ProtocolError(f"more than {MAX_INTERIM} interim answers")

    def get(self, endpoint: str, deadline: float, limit: int) -> tuple[int, bytes]:
        """Status and body (at most `limit` bytes) of `GET endpoint`; every receive ends by `deadline` (see
        `_DeadlineSocket`)."""
        status, headers, keep = self._request(endpoint, deadline)
        body, keep = self._body(status, headers, endpoint, keep, limit)
        if not keep:
            self.close()
        return status, body

    def lines(self, endpoint: str, idle: float, limit: int) -> Iterator[bytes]:
        """The lines of the streamed answer to `GET endpoint` (Docker's /events: one JSON object a line, sent in
        chunks as events happen), each at most `limit` bytes. The request is sent and the answer's head read before
        this returns (DockerAPIError on an error status); then, while iterating, TimeoutError when nothing arrives for
        `idle` seconds, ProtocolError on a line too long, and the end when the daemon ends the answer."""
        status, headers, keep = self._request(endpoint, time.monotonic() + self.timeout)
        if status >= 400:
            body, _ = self._body(status, headers, endpoint, keep, MAX_HEAD)
            self.close()
            raise DockerAPIError(status, body[:300].decode("utf-8", "replace").strip())
        return self._streamed(headers.get(b"transfer-encoding", b"").strip().lower() == b"chunked", idle, limit)

    def _streamed(self, chunked: bool, idle: float, limit: int) -> Iterator[bytes]:
        line = bytearray()
        while True:
            assert self.sock is not None
            self.sock.deadline = time.monotonic() + idle
            if chunked:
                size_text = self._line().partition(b";")[0].strip()
                if not size_text or not _HEX.issuperset(size_text):
                    raise ProtocolError(f"malformed chunk size {size_text[:80]!r}")
                size = int(size_text, 16)
                if size == 0:
                    return
                if size > 16 * limit:  # several lines may share a chunk; more than this is no event stream
                    raise ProtocolError(f"a streamed chunk of {size} bytes")
                line += self._exactly(size)
                if self._exactly(2) != b"\r\n":
                    raise ProtocolError("a chunk does not end with CRLF")
            else:
                if not self._pending and not self._receive(at_end_ok=True):
                    return
                line += self._pending
                self._pending.clear()
            *complete, rest = line.split(b"\n")
            for piece in complete:
                if len(piece) > limit:
                    raise ProtocolError(f"a streamed line longer than {limit} bytes")
                yield bytes(piece)
            if len(rest) > limit:
                raise ProtocolError(f"a streamed line longer than {limit} bytes")
            line = bytearray(rest)

    def _receive(self, at_end_ok: bool = False) -> bool:
        """More bytes into the pending buffer; False at the connection's end when `at_end_ok`."""
        assert self.sock is not None
        count = self.sock.recv_into(self._chunk)
        if count == 0:
            if at_end_ok:
                return False
            raise ProtocolError("the daemon closed the connection before its answer ended")
        self._pending += memoryview(self._chunk)[:count]
        return True

    def _until(self, marker: bytes, what: str) -> bytes:
        """The bytes before the next `marker` (consumed with it), at most MAX_HEAD of them."""
        while (end := self._pending.find(marker)) < 0:
            if len(self._pending) > MAX_HEAD:
                raise ProtocolError(f"{what} longer than {MAX_HEAD} bytes")
            self._receive()
        if end > MAX_HEAD:
            raise ProtocolError(f"{what} longer than {MAX_HEAD} bytes")
        data = bytes(self._pending[:end])
        del self._pending[:end + len(marker)]
        return data

    def _line(self) -> bytes:
        """One CRLF-terminated line (without it)."""
        return self._until(b"\r\n", "a line")

    def _exactly(self, count: int) -> bytes:
        while len(self._pending) < count:
            self._receive()
        with memoryview(self._pending) as view:
            data = bytes(view[:count])  # one copy: a bytearray slice would be a second one
        del self._pending[:count]
        return data

    def _head(self) -> tuple[int, dict[bytes, bytes], bool]:
        """Status, headers (lower-case names; a repeated one's values joined by commas) and whether the connection
        stays open, of the next answer."""
        lines = self._until(b"\r\n\r\n", "headers").split(b"\r\n")
        version, _, rest = lines[0].partition(b" ")
        code = rest[:3]
        if version not in (b"HTTP/1.1", b"HTTP/1.0") or len(code) != 3 or not code.isdigit() or \
                rest[3:4] not in (b"", b" "):
            raise ProtocolError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
        headers: dict[bytes, bytes] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep or not name or name != name.strip():
                raise ProtocolError(f"malformed header line: {line[:80]!r}")
            name = name.lower()
            headers[name] = headers[name] + b"," + value.strip() if name in headers else value.strip()
        tokens = {t.strip().lower() for t in headers.get(b"connection", b"").split(b",")}
        keep = b"keep-alive" in tokens if version == b"HTTP/1.0" else b"close" not in tokens
        return int(code), headers, keep

    def _body(self, status: int, headers: dict[bytes, bytes], endpoint: str, keep: bool, limit: int
              ) -> tuple[bytes, bool]:
        """The body of an answer and whether the connection can carry the next exchange."""
        if status in (204, 304):
            return b"", keep
        encoding = headers.get(b"transfer-encoding")
        if encoding is not None:
            if [t.strip().lower() for t in encoding.split(b",")] != [b"chunked"]:
                raise ProtocolError(f"unsupported transfer encoding {encoding[:80]!r}")
            return self._chunked(status, endpoint, limit), keep
        length = headers.get(b"content-length")
        if length is not None:
            if not length.isdigit():
                raise ProtocolError(f"malformed content length {length[:80]!r}")
            size = int(length)
            if size > limit:
                raise _too_large(status, endpoint, limit)
            return self._exactly(size), keep
        while len(self._pending) <= limit and self._receive(at_end_ok=True):
            pass  # no length: the body ends with the connection
        if len(self._pending) > limit:
            raise _too_large(status, endpoint, limit)
        body = bytes(self._pending)
        self._pending.clear()
        return body, False

    def _chunked(self, status: int, endpoint: str, limit: int) -> bytes:
        body = bytearray()
        while True:
            size_text = self._line().partition(b";")[0].strip()
            if not size_text or not _HEX.issuperset(size_text):
                raise ProtocolError(f"malformed chunk size {size_text[:80]!r}")
            size = int(size_text, 16)
            if size == 0:
                break
            if len(body) + size > limit:
                raise _too_large(status, endpoint, limit)
            body += self._exactly(size)
            if self._exactly(2) != b"\r\n":
                raise ProtocolError("a chunk does not end with CRLF")
        while self._line():  # trailer fields, up to the empty line
            pass
        return bytes(body)


class DockerAPI:
    """The endpoints the collectors read, with the method names of the docker SDK's APIClient. `address` is a unix
    socket path or a (host, port) pair of a plain-HTTP TCP endpoint."""

    def __init__(self, address: str | tuple[str, int], timeout: float) -> None:
        self.address = address
        self.timeout = timeout
        self._local = threading.local()
        self._all: list[_Connection] = []
        self._lock = threading.Lock()

    def _connection(self) -> _Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = _Connection(self.address, self.timeout)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def _exchange(self, endpoint: str, limit: int | None = None, deadline: float = math.inf) -> tuple[int, bytes]:
        """Status and body of `GET endpoint`, all of it within `timeout` seconds (and by `deadline`, the end of the
        caller's time budget) whatever the server sends (a trickle of bytes included: each receive waits only for
        what is left of the exchange's time, see `_DeadlineSocket`) and at most `limit` (else MAX_RESPONSE) bytes;
        TimeoutError or DockerAPIError otherwise."""
        conn = self._connection()
        ends = min(time.monotonic() + self.timeout, deadline)
        try:
            return conn.get(endpoint, ends, MAX_RESPONSE if limit is None else limit)
        except OSError as exc:
            conn.close()
            if isinstance(exc, TimeoutError) or time.monotonic() >= ends:
                within = f"within {self.timeout:g}s" if ends < deadline else "within the time budget of its collector"
                raise TimeoutError(f"no complete answer to {endpoint} {within} (timed out)") from exc
            raise
        except DockerAPIError:
            conn.close()
            raise

    def get(self, endpoint: str, limit: int | None = None, deadline: float = math.inf) -> Any:
        """The decoded JSON answer to `GET endpoint` (see `_exchange` for `limit` and `deadline`); DockerAPIError
        on an error status or an answer of more than MAX_VALUES values, OSError (TimeoutError included) when
        unreachable or too slow."""
        status, body = self._exchange(endpoint, limit, deadline)
        if status >= 400:
            raise DockerAPIError(status, body[:300].decode("utf-8", "replace").strip())
        if value_count_bound(body) > MAX_VALUES:
            raise DockerAPIError(status, f"answer to {endpoint} holds more than {MAX_VALUES} JSON values")
        try:
            value = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise DockerAPIError(status, f"answer is not JSON: {exc}") from exc
        return value

    def ping(self) -> None:
        status, _ = self._exchange("/_ping")
        if status >= 400:
            raise DockerAPIError(status, "ping failed")

    def info(self) -> Any:
        return self.get("/info")

    def version(self) -> Any:
        return self.get("/version")

    def containers(self, all: bool = True, trunc: bool = False, deadline: float = math.inf) -> Any:
        return self.get(f"/containers/json?all={int(all)}&trunc_cmd={int(trunc)}", MAX_LIST_RESPONSE, deadline)

    def inspect_container(self, container_id: str, deadline: float = math.inf) -> Any:
        return self.get(f"/containers/{quote(container_id, safe='')}/json", MAX_INSPECT_RESPONSE, deadline)

    def events(self, filters: dict[str, list[str]], since: int | None = None, idle: float = 300.0
               ) -> Iterator[Any]:
        """Docker's events as they happen (`GET /events`, narrowed by `filters`, from `since` in Unix seconds),
        each decoded JSON value of at most MAX_EVENT bytes, on a connection of their own; see `_Connection.lines`
        for how the stream ends. The subscription is open when this returns; its connection is closed when the
        iteration ends or is abandoned."""
        query = "filters=" + quote(json.dumps(filters, separators=(",", ":")), safe="")
        if since is not None:
            query += f"&since={since}"
        conn = _Connection(self.address, self.timeout)
        try:
            lines = conn.lines(f"/events?{query}", idle, MAX_EVENT)
        except BaseException:
            conn.close()
            raise
        return self._decoded(conn, lines)

    @staticmethod
    def _decoded(conn: _Connection, lines: Iterator[bytes]) -> Iterator[Any]:
        try:
            for line in lines:
                if not line.strip():
                    continue
                try:
                    yield json.loads(line)
                except (ValueError, RecursionError) as exc:
                    raise DockerAPIError(200, f"an event is not JSON: {exc}") from exc
        finally:
            conn.close()

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
