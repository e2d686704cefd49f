"""Every dockerd on the host, rootful and rootless, and the unix sockets each serves.

Candidates come from host processes only: root's own `dockerd` (`CollectContext.processes_named`: its `-H unix://`
sockets, else the default socket) and a host `rootlesskit`, run by any user, that runs `dockerd-rootless.sh` (the
rootless dockerd itself lives in rootlesskit's user and mount namespaces: its `-H` sockets, and the user's
`$XDG_RUNTIME_DIR/docker.sock` or `/run/user/<uid>/docker.sock`). A candidate counts as that process's engine only
when the kernel says (SO_PEERCRED) the socket is served by the same uid: a path a user wrote into an argv or an
environment can never pass another engine off as theirs. Candidates are kept per socket and uid, so a user naming
another engine's socket can neither claim it nor hide it: every candidate is verified, the one its server's uid
proves is the engine, and the others stay in the snapshot with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from hostaudit.collectors import CollectContext, ProcessEntry, process_uids
from hostaudit.collectors._docker import peer_credentials, unix_path
from hostaudit.collectors._fs import host_path, read_text, user_name
from hostaudit.model import DockerEngine
from hostaudit.parsers import parse_dockerd_argv

DEFAULT_SOCKET = "/var/run/docker.sock"
ROOTLESS_SCRIPT = "dockerd-rootless.sh"
MAX_ENVIRON = 256 * 1024

Candidate = tuple[str, str, int]  # socket path, found by, uid of the process that named it


def _unix_hosts(argv: Iterable[str]) -> list[str]:
    return [p for p in (unix_path(h) for h in parse_dockerd_argv(list(argv)).get("host", ())) if p]


def _runs_rootless_dockerd(proc: ProcessEntry) -> bool:
    return any(os.path.basename(arg) in (ROOTLESS_SCRIPT, "dockerd") for arg in proc.argv[1:])


def candidates(dockerds: list[ProcessEntry], rootlesskits: list[ProcessEntry], table: Iterable[ProcessEntry],
               uid_of: Callable[[int], int | None], runtime_dir_of: Callable[[int], str | None],
               config_hosts_of: Callable[[ProcessEntry], list[str]] = lambda proc: []) -> list[Candidate]:
    """Socket paths to verify, from host dockerd and rootlesskit processes (see the module docstring); a dockerd
    without -H flags serves the `hosts` of its daemon.json, else the default socket."""
    found: dict[tuple[str, int], Candidate] = {}
    for proc in dockerds:
        uid = uid_of(proc.pid)
        if uid is None:
            continue
        hosts, origin = _unix_hosts(proc.argv), "dockerd -H"
        if not hosts:
            hosts, origin = [p for p in map(unix_path, config_hosts_of(proc)) if p], "daemon.json hosts"
        for path in hosts or [DEFAULT_SOCKET]:
            found.setdefault((path, uid), (path, origin if hosts else "dockerd default socket", uid))
    for kit in (p for p in rootlesskits if _runs_rootless_dockerd(p)):
        uid = uid_of(kit.pid)
        if uid is None or uid == 0:
            continue
        runtime_dir = runtime_dir_of(kit.pid)
        paths = [f"/run/user/{uid}/docker.sock", *([os.path.join(runtime_dir, "docker.sock")] if runtime_dir else [])]
        # the dockerd rootlesskit started is not a host process: only its -H paths are taken, as candidates
        inner = [p for p in table if p.name == "dockerd" and uid_of(p.pid) == uid]
        paths += [path for proc in inner for path in _unix_hosts(proc.argv)]
        for path in paths:
            found.setdefault((path, uid), (path, "rootlesskit", uid))
    return list(found.values())


def verify(candidate: Candidate, credentials: Callable[[str], tuple[int, int, int] | None]) -> DockerEngine:
    """The engine behind a candidate socket, counted only when its server runs as the uid that named it."""
    path, found_by, expected = candidate
    peer = credentials(path)
    if peer is None:
        return DockerEngine(path, found_by, expected, error=f"{path}: no socket answering")
    pid, uid, _ = peer
    if uid != expected:
        return DockerEngine(path, found_by, expected, uid, user_name(uid), pid,
                            error=f"{path}: served by uid {uid}, not by uid {expected} that named it")
    return DockerEngine(path, found_by, expected, uid, "root" if uid == 0 else user_name(uid), pid)


def process_uid(pid: int) -> int | None:
    """The real uid of a process, as the kernel shows it in /proc/<pid>/status."""
    uids = process_uids(pid)
    return uids[0] if uids else None


def environ_path(pid: int, name: str) -> str | None:
    """An absolute path from a process's environment (XDG_RUNTIME_DIR, XDG_CONFIG_HOME): the process's owner wrote
    it, so it is a candidate only, never a path root trusts."""
    text = read_text(f"/proc/{pid}/environ", limit=MAX_ENVIRON).text or ""
    for entry in text.split("\0"):
        if entry.startswith(f"{name}="):
            value = entry.split("=", 1)[1]
            return value if value.startswith("/") else None
    return None


def _runtime_dir(pid: int) -> str | None:
    return environ_path(pid, "XDG_RUNTIME_DIR")


def daemon_json(proc: ProcessEntry) -> dict:
    """The settings of a host dockerd's daemon.json (its --config-file, else the default); empty when unusable."""
    from hostaudit.collectors.docker_daemon import DEFAULT_CONFIG, read_config

    path = parse_dockerd_argv(list(proc.argv)).get("config-file", (DEFAULT_CONFIG,))[-1]
    return read_config(path).data or {}


def _config_hosts(proc: ProcessEntry) -> list[str]:
    """The `hosts` of a host dockerd's daemon.json."""
    hosts = daemon_json(proc).get("hosts")
    hosts = [hosts] if isinstance(hosts, str) else hosts
    return [h for h in hosts if isinstance(h, str)] if isinstance(hosts, list) else []


def main_endpoint(engines: Iterable[DockerEngine]) -> str | None:
    """The endpoint to audit when none was named and no socket is at the default path: the socket of root's
    verified dockerd (the first by path); None when there is a default socket or no such dockerd. A rootless
    dockerd is never the endpoint: it is audited beside it, its results and containers named by its socket."""
    if os.path.lexists(host_path(DEFAULT_SOCKET)):
        return None
    rootful = sorted(e.socket for e in engines if e.error is None and e.uid == 0)
    return f"unix://{host_path(rootful[0])}" if rootful else None


def discover(ctx: CollectContext) -> tuple[DockerEngine, ...]:
    """Every dockerd socket on the host, each verified by its peer's uid."""
    found = candidates(ctx.processes_named("dockerd"), ctx.host_processes_named("rootlesskit"), ctx.processes,
                       process_uid, _runtime_dir, _config_hosts)
    return tuple(verify(c, lambda path: peer_credentials(host_path(path), ctx.docker_timeout)) for c in found)
