"""The CRI plugin's settings as a containerd applies them: its config.toml when it sets them, else its version's
default; and how each containerd instance is named in its results."""

from __future__ import annotations

from typing import Any

from hostaudit.containerd_config import cri_disabled, cri_section, default_runtime
from hostaudit.daemon_settings import DaemonView
from hostaudit.model import ContainerdInstance, Presence, Result, Snapshot, Subject, containerd_subject
from hostaudit.parsers import parse_version


def judged(facts: Snapshot) -> list[tuple[ContainerdInstance, Subject, dict[str, Any]]]:
    """Each containerd instance with its subject and the evidence that names it (pid, socket), so that every
    result says which containerd it is about."""
    containerd = facts.containerd
    if containerd is None:
        return []
    return [(instance, containerd_subject(containerd, instance),
             {"containerd.pid": instance.pid, "containerd.socket": instance.socket})
            for instance in containerd.instances]


def not_applicable_or_unknown(facts: Snapshot, instance: ContainerdInstance, subject: Subject,
                              named: dict[str, Any]) -> Result | None:
    """Why the instance's CRI settings do not matter (CRI off, no Kubernetes), or cannot be told (config.toml
    unreadable). A host without containerd is `not_applicable` through the engine, from the collector's status."""
    config = instance.config
    if config.presence is not Presence.ABSENT and config.data is None:
        return Result.unknown(subject, {**named, "config": config.path, "error": config.error or config.presence.value},
                              "config.toml cannot be read: see containerd.config_invalid")
    daemon = DaemonView("containerd", "config.toml", {}, config, instance.started_at)
    if daemon.file_changed:
        return Result.unknown(subject, {**named, "config": config.path, **daemon.drift_evidence()},
                              daemon.not_in_force())
    if cri_disabled(config.data or {}):
        return Result.not_applicable(subject, {**named, "config": config.path,
                                               "disabled_plugins": "io.containerd.grpc.v1.cri"},
                                     "the CRI plugin is disabled")
    if facts.kubelet is None and not facts.pods:  # pods from CRI, or from containerd's task bundles
        return Result.not_applicable(subject, {**named, "kubelet": "not running", "pods": 0},
                                     "no kubelet and no pods: the CRI plugin serves no Kubernetes here")
    return None


def cri_setting(instance: ContainerdInstance, key: str, defaults: tuple[bool, bool], runtime: bool = False
                ) -> tuple[Any, str]:
    """(value, where it came from) of a CRI option of one containerd; `defaults` = (containerd 1.x, 2.x)."""
    config = instance.config
    section, table = cri_section(config.data or {})
    if runtime:
        name, section = default_runtime(section)
        table = f"{table}.containerd.runtimes.{name}"
    if key in section:
        return section[key], f"{config.path}: {table}.{key}"
    version = parse_version(instance.version)
    major = version[0] if version else None
    default = defaults[1] if major is not None and major >= 2 else defaults[0]
    return default, f"default of containerd {instance.version or '(version unknown: 1.x assumed)'}"
