"""Collectors: each reads one source into frozen facts, or raises `CollectorError` / `CollectorSkipped`."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any


class CollectorError(Exception):
    """The source exists but could not be read ("docker: unreachable at unix:///...")."""


class PartialFacts(CollectorError):
    """Some facts were read but not all: the engine keeps the facts and records the error."""

    def __init__(self, facts: object, message: str) -> None:
        super().__init__(message)
        self.facts = facts


class CollectorSkipped(Exception):
    """The source is verified absent on this host (no Docker socket, no containerd)."""


@dataclass(frozen=True)
class ProcessEntry:
    pid: int
    name: str
    argv: tuple[str, ...]


@dataclass
class CollectContext:
    """What collectors share: where to look, and the process table read once."""

    docker_host: str | None = None
    docker_timeout: float = 5.0
    containerd_state_dirs: tuple[str, ...] = ()  # empty: discover from running containerd and shims
    cri_endpoint: str | None = None  # CRI runtime socket; None: the kubelet's, else containerd's config, else CRI-O's
    cri_timeout: float = 5.0  # seconds per CRI call
    workers: int = 16
    docker_api: Any = field(default=None, repr=False)
    docker_unreachable: str | None = None  # why the first connection failed: later callers fail at once
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def docker_url(self) -> str:
        return self.docker_host or os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"

    @cached_property
    def processes(self) -> tuple[ProcessEntry, ...]:
        """Every process with its argv, read once with psutil (processes that vanish are skipped)."""
        import psutil

        entries = []
        for proc in psutil.process_iter(["pid", "name", "cmdline"]):
            info = proc.info
            entries.append(ProcessEntry(info["pid"], info.get("name") or "", tuple(info.get("cmdline") or ())))
        return tuple(entries)

    def processes_named(self, *names: str) -> list[ProcessEntry]:
        with self._lock:
            table = self.processes
        return [p for p in table if p.name in names or (p.argv and os.path.basename(p.argv[0]) in names)]
