"""Modes and owners of the files that control the Docker and containerd daemons (CIS section 3)."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil

from hostaudit.collectors import CollectContext
from hostaudit.collectors._fs import host_exists, host_path, host_root, resolve, stat_file, to_host
from hostaudit.daemon_settings import configured
from hostaudit.model import ContainerdFacts, DockerDaemonFacts, FileStat, Presence

UNIT_DIRS = ("/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system")
STATIC = (
    ("/etc/docker", "docker_config_dir"),
    ("/etc/default/docker", "docker_env_file"),
    ("/etc/sysconfig/docker", "docker_env_file"),
    ("/etc/containerd/config.toml", "containerd_config"),
    ("/run/containerd", "containerd_run_dir"),
)
CERTS_DIR = "/etc/docker/certs.d"
MAX_CERT_FILES = 1000
# binaries the CIS audit rules name (1.1.3, 1.1.14-1.1.18): process name -> role
BINARIES = (
    ("dockerd", "dockerd_binary"), ("containerd", "containerd_binary"), ("containerd-shim", "containerd_shim_binary"),
    ("containerd-shim-runc-v1", "containerd_shim_runc_v1_binary"),
    ("containerd-shim-runc-v2", "containerd_shim_runc_v2_binary"), ("runc", "runc_binary"),
)
SYSTEM_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
USERNS_ROOT = re.compile(r"^\d+\.\d+$")  # data-root/<uid>.<gid> under userns-remap


def _units() -> list[tuple[str, str]]:
    found = []
    for unit, role in (("docker.service", "docker_service"), ("docker.socket", "docker_socket_unit"),
                       ("containerd.service", "containerd_service")):
        found += [(d + "/" + unit, role) for d in UNIT_DIRS if host_exists(d + "/" + unit)][:1]
    return found


def _registry_certs() -> list[tuple[str, str]]:
    """Every file below /etc/docker/certs.d (CA certs, client certs and keys), symlinks not followed."""
    found = []
    for directory, _dirs, names in os.walk(host_path(CERTS_DIR)):
        found += [(to_host(os.path.join(directory, name)), "registry_cert") for name in sorted(names)]
    return sorted(found)[:MAX_CERT_FILES]


def _executable(name: str, pid: int | None) -> str | None:
    """The real path of a binary: the executable of the daemon process we identified (never a process found by
    name only: a container can name its processes anything), else the first one on the system PATH."""
    import psutil

    if pid:
        try:
            return resolve(psutil.Process(pid).exe())
        except (psutil.Error, OSError):
            pass
    own_path = os.environ.get("PATH", "").split(os.pathsep) if host_root() == "/" else []
    search = os.pathsep.join(host_path(d) for d in dict.fromkeys([*own_path, *SYSTEM_PATH]) if d)
    found = shutil.which(name, path=search)
    return resolve(to_host(found)) if found else None


def _binaries(daemon: DockerDaemonFacts | None, containerd: ContainerdFacts | None) -> list[FileStat]:
    pids = {"dockerd": daemon.pid if daemon else None,
            "containerd": containerd.main.pid if containerd else None}
    stats = []
    for name, role in BINARIES:
        path = _executable(name, pids.get(name))
        stats.append(stat_file(path, role) if path else FileStat(name, role, Presence.ABSENT))
    return stats


def _data_root(daemon: DockerDaemonFacts) -> str:
    """DockerRootDir, without the <uid>.<gid> level userns-remap adds."""
    root = (daemon.info or {}).get("DockerRootDir") or daemon.flags.get("data-root", ("/var/lib/docker",))[-1]
    if daemon.userns_remap and USERNS_ROOT.match(os.path.basename(root.rstrip("/"))):
        return os.path.dirname(root.rstrip("/"))
    return root


def _with_real_path(found: FileStat) -> FileStat:
    if found.presence is not Presence.PRESENT or not found.path.startswith("/"):
        return found
    real = resolve(found.path)
    return dataclasses.replace(found, real_path=real) if real != found.path else found


def collect(ctx: CollectContext, daemon: DockerDaemonFacts | None, containerd: ContainerdFacts | None
            ) -> tuple[FileStat, ...]:
    wanted: list[tuple[str, str]] = [*STATIC, *_units()]
    if daemon is not None:
        wanted.append((daemon.config.path, "daemon_json"))
        wanted += [(s.path, "docker_sock") for s in daemon.sockets]
        settings = daemon.config.data or {}
        for key in ("tlscacert", "tlscert", "tlskey"):
            path = configured(daemon.flags, settings, key)[0]
            if isinstance(path, str) and path:
                wanted.append((path, key))
        wanted.append((_data_root(daemon), "docker_data_root"))
    if containerd is not None:
        wanted += [(s.path, "containerd_sock") for s in containerd.sockets]
    wanted += _registry_certs()
    seen: dict[str, FileStat] = {}  # by real path: /var/run/docker.sock and /run/docker.sock are one socket
    for path, role in wanted:
        seen.setdefault(resolve(path), stat_file(path, role))
    binaries = [b for b in _binaries(daemon, containerd) if b.path not in seen]
    return tuple(_with_real_path(found) for found in [*seen.values(), *binaries])
