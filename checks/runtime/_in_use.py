"""Which OCI runtime each engine on this host runs its containers with, from the engine's own configuration.

Docker: `/info` DefaultRuntime and its `Runtimes` entry, and each container's own HostConfig.Runtime; containerd: the
CRI plugin's default runtime (`BinaryName`, else runc for the runc shim), when the plugin is on; Podman: `[engine]
runtime` of root's containers.conf files (unset: Podman's built-in default, crun where it is installed); CRI-O:
`[crio.runtime] default_runtime` (unset: a built-in default that depends on CRI-O's version, so unknown).
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from hostaudit.containerd_config import cri_disabled, cri_section, default_runtime
from hostaudit.model import ConfigFile, DockerDaemonFacts, Presence, Snapshot

RUNC_SHIMS = ("io.containerd.runc.v2", "io.containerd.runc.v1", "")
PODMAN_DIRS = ("/usr/share/containers/", "/etc/containers/")
CRIO_DIR = "/etc/crio/"
PODMAN_DEFAULT = "crun"


@dataclass(frozen=True)
class RuntimeInUse:
    """The runtime one engine (or some of its containers) is configured to run."""

    engine: str
    runtime: str | None  # a runtime binary's name or path, or a shim type; None when it cannot be known
    source: str
    built_in: bool = False  # the engine's own default, taken only where that runtime is installed

    def evidence(self) -> str:
        return f"{self.engine}: {self.runtime or 'unknown'} ({self.source})"

    def runs(self, binary: str) -> bool:
        return self.runtime is not None and posixpath.basename(self.runtime) == binary


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _docker_name(facts: Snapshot, daemon: DockerDaemonFacts) -> str:
    """"Docker" for the host's one dockerd; with several, each named by its socket."""
    if len(facts.docker_daemons) < 2:
        return "Docker"
    return f"Docker at {daemon.engine.socket if daemon.engine else daemon.endpoint}"


def _one_docker(facts: Snapshot, daemon: DockerDaemonFacts) -> list[RuntimeInUse]:
    name = _docker_name(facts, daemon)
    if daemon.info is None:
        return [RuntimeInUse(name, None, "the Docker API is unreachable")]
    runtimes = _table(daemon.info.get("Runtimes"))

    def binary(runtime: str) -> str:
        entry = _table(runtimes.get(runtime))
        path, shim = entry.get("path"), entry.get("runtimeType")
        return path if isinstance(path, str) and path else shim if isinstance(shim, str) and shim else runtime

    default = daemon.info.get("DefaultRuntime")
    default = default if isinstance(default, str) and default else "runc"
    found = [RuntimeInUse(name, binary(default), f"/info DefaultRuntime {default}")]
    others: dict[str, list[str]] = defaultdict(list)
    for ctr in facts.containers:
        if ctr.source == "docker" and ctr.runtime and ctr.runtime != default and facts.docker_daemon_of(ctr) is daemon:
            others[ctr.runtime].append(ctr.name)
    for runtime, containers in sorted(others.items()):
        found.append(RuntimeInUse(f"{name} containers {', '.join(sorted(containers))}", binary(runtime),
                                  f"HostConfig.Runtime {runtime}"))
    return found


def _docker(facts: Snapshot) -> list[RuntimeInUse]:
    return [found for daemon in facts.docker_daemons for found in _one_docker(facts, daemon)]


def _one_containerd(config: ConfigFile, engine: str) -> list[RuntimeInUse]:
    if config.error or config.presence is Presence.UNREADABLE:
        return [RuntimeInUse(engine, None, config.error or f"{config.path} is unreadable")]
    if cri_disabled(config.data or {}):
        return []  # no CRI plugin: each client (ctr, nerdctl) names the runtime of its own containers
    name, table = default_runtime(cri_section(config.data or {})[0])
    binary_name = _table(table.get("options")).get("BinaryName")
    shim = table.get("runtime_type")
    shim = shim if isinstance(shim, str) else ""
    where = f"{config.path} runtime {name}" if config.presence is Presence.PRESENT else "containerd's defaults"
    if isinstance(binary_name, str) and binary_name:
        return [RuntimeInUse(engine, binary_name, f"{where} BinaryName")]
    return [RuntimeInUse(engine, "runc" if shim in RUNC_SHIMS else shim, f"{where} runtime_type {shim or 'default'}")]


def _containerd(facts: Snapshot) -> list[RuntimeInUse]:
    """The CRI default runtime of every containerd (each named by its socket when several run)."""
    instances = facts.containerd.instances if facts.containerd else ()
    found = []
    for instance in instances:
        at = f" at {instance.socket or f'pid {instance.pid}'}" if len(instances) > 1 else ""
        found += _one_containerd(instance.config, f"containerd{at} (CRI default runtime)")
    return found


def _last_setting(configs: list[ConfigFile], engine: str, path: tuple[str, ...]) -> RuntimeInUse | str | None:
    """The value a key has after every file of one engine applied (a later file wins): a RuntimeInUse when a file
    cannot be believed, else the value or None."""
    value = None
    for config in configs:
        if config.error or config.presence is Presence.UNREADABLE:
            return RuntimeInUse(engine, None, config.error or f"{config.path} is unreadable")
        found: Any = config.data or {}
        for key in path:
            found = _table(found).get(key)
        if isinstance(found, str) and found:
            value = found
    return value


def _podman(facts: Snapshot) -> list[RuntimeInUse]:
    configs = [c for c in facts.host.engine_configs if c.path.startswith(PODMAN_DIRS)] if facts.host else []
    if not configs and facts.podman is None:
        return []
    runtime = _last_setting(configs, "Podman", ("engine", "runtime"))
    if isinstance(runtime, RuntimeInUse):
        return [runtime]
    if runtime is None:
        return [RuntimeInUse("Podman", PODMAN_DEFAULT, "no [engine] runtime in root's containers.conf: Podman's "
                                                       "built-in default, crun where installed", built_in=True)]
    return [RuntimeInUse("Podman", runtime, "[engine] runtime of root's containers.conf")]


def _crio(facts: Snapshot) -> list[RuntimeInUse]:
    configs = [c for c in facts.host.engine_configs if c.path.startswith(CRIO_DIR)] if facts.host else []
    if not configs and not (facts.cri is not None and facts.cri.runtime_name == "cri-o"):
        return []
    name = _last_setting(configs, "CRI-O", ("crio", "runtime", "default_runtime"))
    if isinstance(name, RuntimeInUse):
        return [name]
    if name is None:
        return [RuntimeInUse("CRI-O", None, "default_runtime is not set: CRI-O's built-in default depends on its "
                                            "version")]
    path = _last_setting(configs, "CRI-O", ("crio", "runtime", "runtimes", name, "runtime_path"))
    return [RuntimeInUse("CRI-O", path if isinstance(path, str) else name, f"[crio.runtime] default_runtime {name}")]


def runtimes_in_use(facts: Snapshot) -> list[RuntimeInUse]:
    """The runtime of every engine found on this host, and of Docker containers that chose another one."""
    return _docker(facts) + _containerd(facts) + _podman(facts) + _crio(facts)
