"""Evidence keys read outside the check that writes them: the contract between checks and `escape` / `remediation`.

A check writes `{MOUNT_RW.name: mount.rw}`; a reader takes `MOUNT_RW.read(evidence)`, which gives the value only when
it has the declared type (a report file's evidence is hostile input). Each key names the checks that write it; the
unit suite's behaviour gate (tests/check_gate.py) fails when one of them never wrote it, or wrote another type.
Keys only their own check (and its tests) read stay plain strings in that check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class EvidenceKey(Generic[T]):
    """One evidence key: its name in a result's evidence, the type of its value, what it means, and the check ids
    (or id patterns such as `kernel.cve_*`: then at least one matching check) that write it."""

    name: str
    type: type[T]
    meaning: str
    writers: tuple[str, ...]

    def read(self, evidence: Mapping[str, Any]) -> T | None:
        """The value under this key, or None when it is absent or not of the declared type."""
        value = evidence.get(self.name)
        return value if isinstance(value, self.type) else None

    def written_by(self, check_id: str) -> bool:
        return any(fnmatchcase(check_id, pattern) for pattern in self.writers)


MOUNT_SOURCE = EvidenceKey(
    "mount.source", str, "The host path of the mount that makes the finding.",
    ("container.docker_socket_mounted", "container.host_root_mounted"))
MOUNT_DESTINATION = EvidenceKey(
    "mount.destination", str, "Where that host path is mounted in the container.",
    ("container.docker_socket_mounted", "container.host_root_mounted"))
MOUNT_RW = EvidenceKey(
    "mount.rw", bool, "Whether that mount is writable from the container.",
    ("container.docker_socket_mounted", "container.host_root_mounted"))
ROOTLESS_SOCKET_USER = EvidenceKey(
    "socket.rootless_engine_user", str,
    "The user of the rootless engine whose API socket the container reaches: its powers, not root's.",
    ("container.docker_socket_mounted",))
ENGINE_USER = EvidenceKey(
    "engine.user", str, "The user a container's engine runs as (rootless engines), or '(unknown)'.",
    ("container.rootless_owner_exposed",))
HOST_USERNS = EvidenceKey(
    "namespaces.user.host", bool,
    "The container is in the host's user namespace, by its own choice or its runtime's default.",
    ("container.host_userns",))
TCP_WITHOUT_TLSVERIFY = EvidenceKey(
    "without_tlsverify", list, "The Docker API's TCP listeners without TLS client verification, 'address:port "
    "(where seen)'.", ("daemon.tcp_without_tls",))
REACHABLE_CONTAINERS = EvidenceKey(
    "reachable_containers", list,
    "Names of the containers that reach a kernel bug; absent when the check cannot narrow it to named containers.",
    ("kernel.cve_*",))
SETTING_SOURCE = EvidenceKey(
    "source", str, "Where a daemon setting in force came from: 'argv', daemon.json, the API, or the default.",
    ("daemon.*",))

KEYS = (MOUNT_SOURCE, MOUNT_DESTINATION, MOUNT_RW, ROOTLESS_SOCKET_USER, ENGINE_USER, HOST_USERNS,
        TCP_WITHOUT_TLSVERIFY, REACHABLE_CONTAINERS, SETTING_SOURCE)
