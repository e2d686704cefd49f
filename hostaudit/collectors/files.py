"""Modes and owners of the files that control the Docker and containerd daemons (CIS section 3)."""

from __future__ import annotations

import glob
import os

from hostaudit.collectors import CollectContext
from hostaudit.collectors._fs import stat_file
from hostaudit.model import ContainerdFacts, DockerDaemonFacts, FileStat

UNIT_DIRS = ("/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system")
STATIC = (
    ("/etc/docker", "docker_config_dir"),
    ("/etc/default/docker", "docker_env_file"),
    ("/etc/sysconfig/docker", "docker_env_file"),
    ("/etc/containerd/config.toml", "containerd_config"),
)


def _units() -> list[tuple[str, str]]:
    found = []
    for unit, role in (("docker.service", "docker_service"), ("docker.socket", "docker_socket_unit"),
                       ("containerd.service", "containerd_service")):
        found += [(d + "/" + unit, role) for d in UNIT_DIRS if os.path.exists(d + "/" + unit)][:1]
    return found


def collect(ctx: CollectContext, daemon: DockerDaemonFacts | None, containerd: ContainerdFacts | None
            ) -> tuple[FileStat, ...]:
    wanted: list[tuple[str, str]] = [*STATIC, *_units()]
    if daemon is not None:
        wanted.append((daemon.config.path, "daemon_json"))
        wanted += [(s.path, "docker_sock") for s in daemon.sockets]
        settings = daemon.config.data or {}
        for key in ("tlscacert", "tlscert", "tlskey"):
            path = (daemon.flags.get(key) or (settings.get(key),))[-1]
            if isinstance(path, str) and path:
                wanted.append((path, key))
        root = (daemon.info or {}).get("DockerRootDir") or "/var/lib/docker"
        wanted.append((root, "docker_data_root"))
    if containerd is not None:
        wanted += [(s.path, "containerd_sock") for s in containerd.sockets]
    wanted += [(p, "registry_cert") for p in sorted(glob.glob("/etc/docker/certs.d/*/*"))]
    seen: dict[str, FileStat] = {}
    for path, role in wanted:
        if path not in seen:
            seen[path] = stat_file(path, role)
    return tuple(seen.values())
