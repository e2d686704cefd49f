"""The one rule for a daemon setting (dockerd, containerd, kubelet): the running daemon first, its file second.

1. What the running daemon shows wins: its own command line, else a value it reports (`/info`, the state of the
   containers it started, its helper processes). A configuration file that says otherwise is drift, kept as
   evidence.
2. Else the configuration file, but only when it has not changed since the daemon started: a file modified after
   the daemon's start is not in force until the daemon restarts, and the setting is unknown, never a pass. So is a
   setting of a file that exists but could not be used: unreadable, malformed, or one a user other than root could
   have written (root trusts only root's files).
3. Else the daemon's default.
Collectors (which only need "what is configured") and checks read settings through this module alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hostaudit.model import ConfigFile

ARGV = "argv"
# A process's start time is known to about a second (the kernel's boot time is whole seconds) and a daemon reads its
# file just after it starts: an mtime within this many seconds of the start is taken as read at start.
START_SLACK_S = 2.0
DEFAULT = "default"
_MISSING = object()


@dataclass(frozen=True)
class Shown:
    """A value the running daemon itself shows, and where it showed it ("/info Debug", "docker-proxy processes")."""

    value: Any
    source: str


@dataclass(frozen=True)
class Setting:
    """A setting's value in force, where it came from, and whether it can be told at all."""

    value: Any
    source: str
    known: bool = True
    evidence: dict[str, Any] = field(default_factory=dict)  # drift: what the file says beside what is in force

    @property
    def detail(self) -> str:
        return "" if self.known else self.source


def flag_bool(values: tuple[str, ...]) -> bool:
    """A pflag boolean's last value: `--flag` alone means true."""
    return values[-1].lower() in ("true", "1", "")


def configured(flags: dict[str, tuple[str, ...]], config: dict[str, Any], key: str, json_key: str | None = None,
               boolean: bool = False) -> tuple[Any, str]:
    """(value, "argv" | "file" | "default") as configured, the command line winning over the file; the value is
    None for "default". For collectors, which read what a daemon was told, not what is in force."""
    if key in flags:
        return (flag_bool(flags[key]) if boolean else flags[key][-1]), ARGV
    name = json_key or key
    if name in config:
        return config[name], "file"
    return None, DEFAULT


@dataclass(frozen=True)
class DaemonView:
    """What the rule reads of one daemon: its name, argv flags, file, and start time (None: not running)."""

    name: str  # dockerd, containerd, kubelet
    file_label: str  # daemon.json, config.toml, --config
    flags: dict[str, tuple[str, ...]]
    config: ConfigFile | None
    started_at: float | None

    @property
    def file_changed(self) -> bool:
        """The file was modified after the daemon started: what it says now is not what the daemon read."""
        return (self.config is not None and self.config.modified_at is not None and self.started_at is not None
                and self.config.modified_at > self.started_at + START_SLACK_S)

    @property
    def where(self) -> str:
        return f"{self.file_label} ({self.config.path})" if self.config is not None else self.file_label

    def not_in_force(self) -> str:
        return f"{self.where} changed after {self.name} started: not in force until {self.name} restarts"

    def drift_evidence(self) -> dict[str, Any]:
        return {f"{self.file_label}.modified_at": self.config.modified_at if self.config else None,
                f"{self.name}.started_at": self.started_at}


def effective(daemon: DaemonView, key: str, default: Any, json_key: str | None = None, shown: Shown | None = None
              ) -> Setting:
    """The value of `key` in force in `daemon` (see the module's rule)."""
    if key in daemon.flags:
        return Setting(flag_bool(daemon.flags[key]) if isinstance(default, bool) else daemon.flags[key][-1], ARGV)
    data = (daemon.config.data or {}) if daemon.config is not None else {}
    name = json_key or key
    in_file = data.get(name, _MISSING)
    file_key = f"{daemon.file_label}: {name}"
    if shown is not None:
        drift: dict[str, Any] = {}
        if in_file is not _MISSING and in_file != shown.value:
            drift = {file_key: in_file, "drift": f"{daemon.where} is not in force until {daemon.name} restarts"}
        return Setting(shown.value, shown.source, evidence=drift)
    if daemon.config is not None and daemon.config.error:
        return Setting(None, f"{daemon.where} unusable", known=False, evidence={
            file_key: "unknown", "in force": f"unknown: {daemon.config.error}"})
    if daemon.file_changed:
        return Setting(None, daemon.not_in_force(), known=False, evidence={
            file_key: None if in_file is _MISSING else in_file, "in force": "unknown: the daemon does not show it",
            **daemon.drift_evidence()})
    if in_file is not _MISSING:
        return Setting(in_file, daemon.where)
    return Setting(default, DEFAULT)
