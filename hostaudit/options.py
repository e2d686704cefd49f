"""Option values for the CLI, in a light module so `--help` imports nothing heavy."""

from __future__ import annotations

from enum import StrEnum

from hostaudit.catalog import Severity


class Format(StrEnum):
    text = "text"
    json = "json"
    html = "html"
    sarif = "sarif"
    junit = "junit"
    csv = "csv"
    prometheus = "prometheus"


# the severities, worst first, as a choice of its own (typer lists an enum's values)
FailOn = StrEnum("FailOn", [(severity.value, severity.value) for severity in Severity])


class RestartMethod(StrEnum):
    systemd = "systemd"
    command = "command"
    none = "none"
