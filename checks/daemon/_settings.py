"""The daemon's effective settings: its command line wins over daemon.json, which wins over the default."""

from __future__ import annotations

from typing import Any

from hostaudit.model import DAEMON, DockerDaemonFacts, Result, Snapshot


def setting(daemon: DockerDaemonFacts, key: str, default: Any = None) -> tuple[Any, str]:
    """(value, where it came from) for a dockerd option such as `icc` or `userns-remap`."""
    if key in daemon.flags:
        values = daemon.flags[key]
        value: Any = values[-1]
        if isinstance(default, bool):
            value = value.lower() in ("true", "1", "")
        return value, "argv"
    config = daemon.config.data or {}
    if key in config:
        return config[key], f"daemon.json ({daemon.config.path})"
    return default, "default"


def bool_setting(facts: Snapshot, key: str, default: bool, risky_when: bool, extra: dict | None = None
                 ) -> list[Result]:
    """A pass/fail result on a boolean daemon option: passes only when its value is exactly the safe boolean
    (a string such as "true" in daemon.json is not a boolean to dockerd)."""
    daemon = facts.docker_daemon
    value, source = setting(daemon, key, default)
    evidence = {key: value, "source": source, **(extra or {})}
    safe = not risky_when
    return [Result.passed(DAEMON, evidence) if value is safe else Result.failed(DAEMON, evidence)]


def security_options(daemon: DockerDaemonFacts) -> list[str]:
    return [str(o) for o in (daemon.info or {}).get("SecurityOptions") or []]


def values_setting(daemon: DockerDaemonFacts, flag: str, json_key: str) -> tuple[list[Any], str]:
    """Every value of a repeatable option (`--insecure-registry` given n times on argv, or a daemon.json list;
    a daemon.json object such as default-ulimits gives its keys), and where they came from."""
    if flag in daemon.flags:
        return list(daemon.flags[flag]), "argv"
    config = daemon.config.data or {}
    if json_key not in config:
        return [], "default"
    value = config[json_key]
    if isinstance(value, dict):
        value = list(value)
    elif not isinstance(value, list):
        value = [value] if value not in (None, "") else []
    return value, f"daemon.json ({daemon.config.path})"


def info_value(daemon: DockerDaemonFacts, key: str) -> Any:
    """A field of the API's /info answer (None when absent or the API did not answer)."""
    return (daemon.info or {}).get(key)
