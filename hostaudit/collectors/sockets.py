"""The container-runtime API sockets that really exist on this host.

Found from every running runtime daemon (dockerd's -H and daemon.json hosts, containerd's address, CRI-O's listen,
`podman system service`, buildkitd's --addr), from every dockerd the host runs (rootless ones too, from
`docker_engines`), from the endpoint the audit connected through, and at the well-known paths (a socket systemd holds
for an idle daemon). Only what exists as a socket is kept, once per inode, with the other host paths that reach it
(/var/run/... when /var/run is a symlink to /run).
"""

from __future__ import annotations

import os
import stat

from hostaudit.collectors import CollectContext, ProcessEntry
from hostaudit.collectors._docker import unix_path
from hostaudit.collectors._fs import host_path, read_parsed, resolve, socket_info, to_host
from hostaudit.model import Presence, SocketInfo
from hostaudit.parsers import parse_dockerd_argv, parse_json_object, parse_toml

WELL_KNOWN = (
    "/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock", "/run/crio/crio.sock",
    "/run/podman/podman.sock",
    "/run/buildkit/buildkitd.sock", "/run/dockershim.sock", "/run/cri-dockerd.sock",
)
CRIO_CONFIG = "/etc/crio/crio.conf"
CRIO_DEFAULT = "/var/run/crio/crio.sock"
PODMAN_DEFAULT = "/run/podman/podman.sock"
BUILDKIT_DEFAULT = "/run/buildkit/buildkitd.sock"


def _flag(argv: tuple[str, ...], *names: str) -> str | None:
    """The last value of a flag given as `--name value` or `--name=value`."""
    found = None
    for index, arg in enumerate(argv):
        for name in names:
            if arg == name and index + 1 < len(argv):
                found = argv[index + 1]
            elif arg.startswith(name + "="):
                found = arg.split("=", 1)[1]
    return found


def _dockerd(proc: ProcessEntry) -> list[str]:
    from hostaudit.collectors.docker_daemon import DEFAULT_CONFIG, unix_sockets

    flags = parse_dockerd_argv(proc.argv)
    config = read_parsed(flags.get("config-file", (DEFAULT_CONFIG,))[-1], parse_json_object)
    return unix_sockets(flags, config.data or {})


def _containerd(proc: ProcessEntry) -> list[str]:
    from hostaudit.collectors.containerd import daemon_view

    socket = daemon_view(proc)[2]
    return [socket] if socket else []


def _crio(proc: ProcessEntry) -> list[str]:
    listen = _flag(proc.argv, "--listen")
    if listen is None:
        config = read_parsed(_flag(proc.argv, "--config", "-c") or CRIO_CONFIG, parse_toml).data or {}
        api = (config.get("crio") or {}).get("api") if isinstance(config.get("crio"), dict) else None
        listen = api.get("listen") if isinstance(api, dict) and isinstance(api.get("listen"), str) else None
    return [listen or CRIO_DEFAULT]


def _podman(proc: ProcessEntry) -> list[str]:
    if "service" not in proc.argv:
        return []
    uris = [unix_path(a) for a in proc.argv[proc.argv.index("service") + 1:] if a.startswith("unix://")]
    return [p for p in uris if p] or [PODMAN_DEFAULT]


def _buildkitd(proc: ProcessEntry) -> list[str]:
    address = _flag(proc.argv, "--addr")
    return [unix_path(address) or ""] if address else [BUILDKIT_DEFAULT]


DAEMONS = {"dockerd": _dockerd, "containerd": _containerd, "crio": _crio, "podman": _podman, "buildkitd": _buildkitd}


def _aliases(path: str) -> tuple[str, ...]:
    """Other host paths of the same socket: its real path, and the /run <-> /var/run twin when /var/run links /run."""
    names = {path, resolve(path)}
    if resolve("/var/run") == "/run":
        for name in list(names):
            if name.startswith("/run/"):
                names.add("/var" + name)
            elif name.startswith("/var/run/"):
                names.add(name.removeprefix("/var"))
    names.discard(path)
    return tuple(sorted(names))


def collect(ctx: CollectContext) -> tuple[SocketInfo, ...]:
    candidates: list[tuple[str, str]] = []
    for name, paths_of in DAEMONS.items():
        for proc in ctx.processes_named(name):
            candidates += [(path, f"{name} (pid {proc.pid})") for path in paths_of(proc) if path.startswith("/")]
    candidates += [(e.socket, f"dockerd (pid {e.pid}, user {e.user or e.uid})") for e in ctx.docker_engines
                   if e.error is None]
    endpoint = unix_path(ctx.docker_url)
    if endpoint:
        candidates.append((to_host(endpoint), "the audited Docker endpoint"))
    candidates += [(path, "well-known path") for path in WELL_KNOWN]
    found: dict[tuple[int, int], SocketInfo] = {}
    for path, daemon in candidates:
        try:
            status = os.stat(host_path(path))
        except OSError:
            continue
        if not stat.S_ISSOCK(status.st_mode):
            continue
        key = (status.st_dev, status.st_ino)
        if key in found:
            continue
        info = socket_info(path)
        if info.presence is Presence.PRESENT:
            found[key] = SocketInfo(path, info.presence, info.mode, info.owner, info.group, daemon=daemon,
                                    aliases=_aliases(path))
    return tuple(found.values())
