"""The severity scale, worst first: a light module of its own so the CLI can offer it without loading the catalog."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse: info 0 ... critical 4."""
        return _RANKS[self]


_RANKS = {severity: rank for rank, severity in enumerate(reversed(Severity))}
