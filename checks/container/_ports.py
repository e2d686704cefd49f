"""Published ports of a container, as "host_ip:host_port->container_port"."""

from __future__ import annotations

from hostaudit.model import PortBinding

WILDCARDS = ("", "0.0.0.0", "::", "[::]")


def describe(port: PortBinding) -> str:
    return f"{port.host_ip or '*'}:{port.host_port or '(random)'}->{port.container_port}"


def host_port(port: PortBinding) -> int | None:
    """The host port as a number; None when Docker picks one (an empty or 0 HostPort)."""
    first = port.host_port.split("-", 1)[0]
    return int(first) if first.isdigit() and int(first) > 0 else None
