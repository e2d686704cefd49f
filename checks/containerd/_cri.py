"""The CRI plugin's settings as containerd applies them: config.toml when it sets them, else the version's default."""

from __future__ import annotations

from typing import Any

from hostaudit.containerd_config import cri_disabled, cri_section, default_runtime
from hostaudit.daemon_settings import DaemonView
from hostaudit.model import HOST, Presence, Result, Snapshot
from hostaudit.parsers import parse_version


def not_applicable_or_unknown(facts: Snapshot) -> Result | None:
    """Why the CRI settings do not matter (CRI off, no Kubernetes), or cannot be told (config.toml unreadable).
    A host without containerd is `not_applicable` through the engine, from the containerd collector's status."""
    containerd = facts.containerd
    config = containerd.config
    if config.presence is not Presence.ABSENT and config.data is None:
        return Result.unknown(HOST, {"config": config.path, "error": config.error or config.presence.value},
                              "config.toml cannot be read: see containerd.config_invalid")
    daemon = DaemonView("containerd", "config.toml", {}, config, containerd.started_at)
    if daemon.file_changed:
        return Result.unknown(HOST, {"config": config.path, **daemon.drift_evidence()}, daemon.not_in_force())
    if cri_disabled(config.data or {}):
        return Result.not_applicable(HOST, {"config": config.path, "disabled_plugins": "io.containerd.grpc.v1.cri"},
                                     "the CRI plugin is disabled")
    if facts.kubelet is None and not facts.pods:  # pods from CRI, or from containerd's task bundles
        return Result.not_applicable(HOST, {"kubelet": "not running", "pods": 0},
                                     "no kubelet and no pods: the CRI plugin serves no Kubernetes here")
    return None


def cri_setting(facts: Snapshot, key: str, defaults: tuple[bool, bool], runtime: bool = False
                ) -> tuple[Any, str]:
    """(value, where it came from) of a CRI option; `defaults` = (containerd 1.x, containerd 2.x)."""
    config = facts.containerd.config
    section, table = cri_section(config.data or {})
    if runtime:
        name, section = default_runtime(section)
        table = f"{table}.containerd.runtimes.{name}"
    if key in section:
        return section[key], f"{config.path}: {table}.{key}"
    version = parse_version(facts.containerd.version)
    major = version[0] if version else None
    default = defaults[1] if major is not None and major >= 2 else defaults[0]
    return default, f"default of containerd {facts.containerd.version or '(version unknown: 1.x assumed)'}"
