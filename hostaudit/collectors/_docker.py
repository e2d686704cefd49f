"""One Docker API client per audit, with a timeout, created on first use."""

from __future__ import annotations

import ipaddress
import os
import socket
import struct
from typing import Any
from urllib.parse import urlsplit

from hostaudit.collectors import CollectContext, CollectorError, CollectorSkipped
from hostaudit.collectors._docker_http import DockerAPI, DockerAPIError
from hostaudit.collectors._fs import host_path


def unix_path(url: str) -> str | None:
    if url.startswith("unix://"):
        return url[len("unix://"):]
    return url if url.startswith("/") else None


def peer_credentials(path: str, timeout: float) -> tuple[int, int, int] | None:
    """(pid, uid, gid) of the process serving a unix socket (SO_PEERCRED), without sending it anything."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(path)
            raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
            return struct.unpack("3i", raw)
    except OSError:
        return None


def peer_pid(path: str, timeout: float) -> int | None:
    """The pid of the process serving a unix socket, without sending it anything."""
    found = peer_credentials(path, timeout)
    return found[0] or None if found else None


def _ip(text: str) -> str | None:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0]).compressed
    except ValueError:
        return None


def tcp_server_pid(url: str) -> int | None:
    """The pid of the process of this host listening at a `tcp://`, `http://` or `https://` endpoint (a TCP peer has
    no SO_PEERCRED), from the kernel's socket table: only when the endpoint names an address of this host (or
    `localhost`) and the listener is bound to it or to every address; a listener on the same port of another
    address, or another host's server, is not it."""
    import psutil

    parts = urlsplit(url)
    if parts.scheme not in ("tcp", "http", "https"):
        return None
    try:
        port = parts.port or (2376 if parts.scheme == "https" else 2375)
    except ValueError:
        return None
    host = parts.hostname or ""
    names = {"127.0.0.1", "::1"} if host == "localhost" else {_ip(host)} - {None}
    try:
        local = {_ip(a.address) for addresses in psutil.net_if_addrs().values() for a in addresses
                 if a.family in (socket.AF_INET, socket.AF_INET6)}
        connections = psutil.net_connections(kind="tcp")
    except (psutil.Error, OSError):
        return None
    if not names & local:
        return None
    bound = names | {"0.0.0.0", "::"}
    return next((c.pid for c in connections if c.status == psutil.CONN_LISTEN and c.laddr and c.pid
                 and c.laddr.port == port and _ip(c.laddr.ip) in bound), None)


class _NoSocket(Exception):
    """No socket at the endpoint: whether that means "no Docker" depends on the dockerd processes."""


def client(ctx: CollectContext) -> Any:
    """The API client for `ctx.docker_url`; CollectorSkipped when no socket exists there and no dockerd runs
    without its socket, CollectorError when a dockerd's socket is missing or does not answer in time."""
    try:
        return _connect(ctx)
    except _NoSocket as exc:
        url, path = ctx.docker_url, str(exc)
        orphan = _dockerd_missing_socket(ctx, path)
        if orphan is not None:
            raise CollectorError(f"docker: no socket at {url}, but dockerd (pid {orphan}) is running: its socket "
                                 "is missing") from exc
        raise CollectorSkipped(f"docker: no socket at {url}") from exc


def _connect(ctx: CollectContext) -> Any:
    with ctx._lock:
        if ctx.docker_api is not None:
            return ctx.docker_api
        if ctx.docker_unreachable is not None:
            raise CollectorError(ctx.docker_unreachable)
        url = ctx.docker_url
        path = unix_path(url)
        if path is not None:
            _require_socket(url, path)
            try:
                ctx.docker_api = _lean_client(url, path, ctx.docker_timeout)
            except CollectorError as exc:
                ctx.docker_unreachable = str(exc)
                raise
            return ctx.docker_api
        address = _plain_tcp(url)
        if address is not None:
            try:
                ctx.docker_api = _lean_client(url, address, ctx.docker_timeout)
            except CollectorError as exc:
                ctx.docker_unreachable = str(exc)
                raise
            return ctx.docker_api
        import docker
        from docker.errors import DockerException

        try:
            api = docker.APIClient(base_url=url, version="auto", timeout=ctx.docker_timeout,
                                   max_pool_size=ctx.workers)
        except DockerException as exc:
            raise CollectorError(f"docker: unreachable at {url}: {reason(exc)}") from exc
        except OSError as exc:
            raise CollectorError(f"docker: unreachable at {url}: {exc}") from exc
        ctx.docker_api = api
        return api


_REASONS = (
    ("timed out", "no answer (timed out)"),
    ("timeout", "no answer (timed out)"),
    ("Permission denied", "permission denied (run as root or as a member of the docker group)"),
    ("Connection refused", "connection refused"),
    ("No such file or directory", "no such socket"),
)


def _require_socket(url: str, path: str) -> None:
    """_NoSocket when no socket exists at `path`; CollectorError when we may not even look (non-root)."""
    try:
        os.stat(path)
    except FileNotFoundError as exc:
        raise _NoSocket(path) from exc
    except OSError as exc:
        raise CollectorError(f"docker: unreachable at {url}: {reason(exc)}") from exc


def _dockerd_missing_socket(ctx: CollectContext, path: str) -> int | None:
    """The pid of a running dockerd that should listen on `path`, or (for the default endpoint) whose every unix
    socket is missing; a dockerd found serving a socket of its own (a rootless one's is under its user's runtime
    dir) is not missing it."""
    from hostaudit.collectors.docker_daemon import DEFAULT_SOCKETS, unix_sockets
    from hostaudit.parsers import parse_dockerd_argv

    serving = {e.pid for e in ctx.docker_engines if e.error is None}  # verified on a socket of their own
    for proc in ctx.processes_named("dockerd"):
        if proc.pid in serving:
            continue
        sockets = [host_path(s) for s in unix_sockets(parse_dockerd_argv(proc.argv), {})]
        defaults = [host_path(s) for s in DEFAULT_SOCKETS]
        if path in sockets or (path in defaults and sockets and not any(map(os.path.exists, sockets))):
            return proc.pid
    return None


def _plain_tcp(url: str) -> tuple[str, int] | None:
    """(host, port) of a `tcp://` or `http://` endpoint spoken without TLS (no DOCKER_TLS_VERIFY or DOCKER_CERT_PATH
    in the environment, as the docker CLI decides); None for anything else, which the docker SDK serves."""
    parts = urlsplit(url)
    if parts.scheme not in ("tcp", "http") or os.environ.get("DOCKER_TLS_VERIFY") or os.environ.get("DOCKER_CERT_PATH"):
        return None
    try:
        port = parts.port or 2375
    except ValueError:
        return None
    return (parts.hostname, port) if parts.hostname else None


def _lean_client(url: str, address: str | tuple[str, int], timeout: float) -> DockerAPI:
    api = DockerAPI(address, timeout)
    try:
        api.ping()
    except (OSError, DockerAPIError) as exc:
        api.close()
        raise CollectorError(f"docker: unreachable at {url}: {reason(exc)}") from exc
    return api


def is_not_found(exc: BaseException) -> bool:
    """A 404 from the API (the lean client's or the SDK's): the object is gone."""
    return getattr(exc, "status_code", None) == 404


def reason(exc: BaseException) -> str:
    """A one-line reason a sysadmin can act on, instead of the HTTP library's nested message."""
    text = str(exc)
    for marker, reason in _REASONS:
        if marker.lower() in text.lower():
            return reason
    return text.splitlines()[0][:300] if text else type(exc).__name__


def api_error(url: str, exc: BaseException) -> CollectorError:
    return CollectorError(f"docker: API call failed at {url}: {reason(exc)}")


def release(ctx: CollectContext) -> None:
    if ctx.docker_api is not None:
        ctx.docker_api.close()
        ctx.docker_api = None
