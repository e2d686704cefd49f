"""A lean, read-only Docker Engine API client over a unix socket or plain TCP: GET and JSON, one keep-alive
connection per thread.

The audit needs four endpoints; going through the docker SDK (requests + urllib3) cost about 2 ms per call, which
made the inspect of 1000 containers the slowest part of an audit. Unversioned paths let the daemon answer in its own
API version, so there is nothing to negotiate.
"""

from __future__ import annotations

import http.client
import json
import math
import socket
import threading
import time
from typing import Any
from urllib.parse import quote

MAX_RESPONSE = 128 * 1024 * 1024  # bytes of one answer: far above 10,000 containers listed, far below the RAM


class DockerAPIError(Exception):
    """The daemon answered with an error status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status_code = status


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


def _tcp_connection(address: tuple[str, int], timeout: float, source_address: Any = None) -> _DeadlineSocket:
    plain = socket.create_connection(address, timeout, source_address)
    sock = _DeadlineSocket(fileno=plain.detach())
    sock.settimeout(timeout)
    return sock


class _TcpConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._create_connection = _tcp_connection


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("docker", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        sock = _DeadlineSocket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class DockerAPI:
    """The endpoints the collectors read, with the method names of the docker SDK's APIClient. `address` is a unix
    socket path or a (host, port) pair of a plain-HTTP TCP endpoint."""

    def __init__(self, address: str | tuple[str, int], timeout: float) -> None:
        self.address = address
        self.timeout = timeout
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if isinstance(self.address, str):
                conn = _UnixConnection(self.address, self.timeout)
            else:
                conn = _TcpConnection(*self.address, timeout=self.timeout)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def _exchange(self, endpoint: str) -> tuple[int, bytes]:
        """Status and body of `GET endpoint`, all of it within `timeout` seconds whatever the server sends (a
        trickle of bytes included: each receive waits only for what is left of the exchange's time, see
        `_DeadlineSocket`) and at most MAX_RESPONSE bytes; TimeoutError or DockerAPIError otherwise."""
        conn = self._connection()
        deadline = time.monotonic() + self.timeout
        try:
            if conn.sock is None:
                conn.connect()
            conn.sock.deadline = deadline
            conn.request("GET", endpoint)
            response = conn.getresponse()
            body = bytearray()
            while chunk := response.read(65536):
                body += chunk
                if len(body) > MAX_RESPONSE:
                    conn.close()
                    raise DockerAPIError(response.status, f"answer to {endpoint} larger than {MAX_RESPONSE} bytes")
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            if isinstance(exc, TimeoutError) or time.monotonic() >= deadline:
                raise TimeoutError(f"no complete answer to {endpoint} within {self.timeout:g}s (timed out)") from exc
            raise
        return response.status, bytes(body)

    def get(self, endpoint: str) -> Any:
        """The decoded JSON answer to `GET endpoint`; DockerAPIError on an error status, OSError (TimeoutError
        included) when unreachable or too slow."""
        status, body = self._exchange(endpoint)
        if status >= 400:
            raise DockerAPIError(status, body[:300].decode("utf-8", "replace").strip())
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

    def containers(self, all: bool = True, trunc: bool = False) -> Any:
        return self.get(f"/containers/json?all={int(all)}&trunc_cmd={int(trunc)}")

    def inspect_container(self, container_id: str) -> Any:
        return self.get(f"/containers/{quote(container_id, safe='')}/json")

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
