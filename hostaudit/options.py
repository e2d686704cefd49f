"""Option values for the CLI, in a light module so `--help` imports nothing heavy."""

from __future__ import annotations

from enum import StrEnum

DEADLINE = 300.0  # seconds the collection of an audit may take (--deadline)
COLLECTOR_SHARE = 0.25  # of it, what one collector may take


class Format(StrEnum):
    text = "text"
    json = "json"
    html = "html"
    sarif = "sarif"
    junit = "junit"
    csv = "csv"
    prometheus = "prometheus"


class RestartMethod(StrEnum):
    systemd = "systemd"
    command = "command"
    none = "none"
