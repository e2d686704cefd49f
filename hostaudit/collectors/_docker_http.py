"""A lean, read-only Docker Engine API client over a unix socket: GET and JSON, one keep-alive connection per thread.

The audit needs four endpoints; going through the docker SDK (requests + urllib3) cost about 2 ms per call, which
made the inspect of 1000 containers the slowest part of an audit. Unversioned paths let the daemon answer in its own
API version, so there is nothing to negotiate.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
from typing import Any
from urllib.parse import quote


class DockerAPIError(Exception):
    """The daemon answered with an error status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status_code = status


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("docker", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class UnixDockerAPI:
    """The endpoints the collectors read, with the method names of the docker SDK's APIClient."""

    def __init__(self, path: str, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self._local = threading.local()
        self._all: list[_UnixConnection] = []
        self._lock = threading.Lock()

    def _connection(self) -> _UnixConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = _UnixConnection(self.path, self.timeout)
            with self._lock:
                self._all.append(conn)
        return conn

    def get(self, endpoint: str) -> Any:
        """The decoded JSON answer to `GET endpoint`; DockerAPIError on an error status, OSError when unreachable."""
        conn = self._connection()
        try:
            conn.request("GET", endpoint)
            response = conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            raise
        if response.status >= 400:
            raise DockerAPIError(response.status, body[:300].decode("utf-8", "replace").strip())
        try:
            return json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise DockerAPIError(response.status, f"answer is not JSON: {exc}") from exc

    def ping(self) -> None:
        conn = self._connection()
        try:
            conn.request("GET", "/_ping")
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            raise
        if response.status >= 400:
            raise DockerAPIError(response.status, "ping failed")

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
