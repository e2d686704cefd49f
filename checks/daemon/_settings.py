"""dockerd's settings in force, by the one rule of `hostaudit.daemon_settings`: the running daemon first (its argv,
what its API and its containers show), daemon.json second and only when unchanged since dockerd started."""

from __future__ import annotations

from typing import Any

from hostaudit.daemon_settings import DaemonView, Setting, Shown, effective
from hostaudit.evidence import SETTING_SOURCE
from hostaudit.model import DAEMON, DockerDaemonFacts, Result, Snapshot


def view(daemon: DockerDaemonFacts) -> DaemonView:
    return DaemonView("dockerd", "daemon.json", daemon.flags, daemon.config, daemon.started_at)


def setting(daemon: DockerDaemonFacts, key: str, default: Any = None, shown: Shown | None = None,
            json_key: str | None = None) -> Setting:
    """The value of a dockerd option such as `icc` or `userns-remap` in force, and where it came from."""
    return effective(view(daemon), key, default, json_key, shown)


def evidence_of(found: Setting, key: str, extra: dict | None = None) -> dict[str, Any]:
    """The evidence of a setting: its value in force under `key`, where it came from, any drift, and `extra`."""
    return {key: found.value, SETTING_SOURCE.name: found.source, **found.evidence, **(extra or {})}


def unknown(found: Setting, key: str, extra: dict | None = None) -> list[Result]:
    """The result on a setting whose value in force cannot be told (daemon.json changed after dockerd started)."""
    return [Result.unknown(DAEMON, evidence_of(found, key, extra), found.detail)]


def bool_setting(facts: Snapshot, key: str, default: bool, risky_when: bool, extra: dict | None = None,
                 shown: Shown | None = None) -> list[Result]:
    """A pass/fail result on a boolean daemon option: passes only when its value in force is exactly the safe
    boolean (a string such as "true" in daemon.json is not a boolean to dockerd); unknown when not in force."""
    found = setting(facts.docker_daemon, key, default, shown)
    if not found.known:
        return unknown(found, key, extra)
    evidence = evidence_of(found, key, extra)
    safe = not risky_when
    return [Result.passed(DAEMON, evidence) if found.value is safe else Result.failed(DAEMON, evidence)]


def security_options(daemon: DockerDaemonFacts) -> list[str]:
    return [str(o) for o in (daemon.info or {}).get("SecurityOptions") or []]


def values_setting(daemon: DockerDaemonFacts, flag: str, json_key: str) -> Setting:
    """Every value of a repeatable option (`--insecure-registry` given n times on argv, or a daemon.json list;
    a daemon.json object such as default-ulimits gives its keys), and where they came from."""
    if flag in daemon.flags:
        return Setting(list(daemon.flags[flag]), "argv")
    found = effective(view(daemon), json_key, None)
    value = found.value
    if isinstance(value, dict):
        value = list(value)
    elif not isinstance(value, list):
        value = [value] if value not in (None, "") else []
    return Setting(value, found.source, found.known, found.evidence)


def authorization_setting(daemon: DockerDaemonFacts) -> Setting:
    """The authorization plugins in force: as the API lists them, else as configured."""
    plugins = ((daemon.info or {}).get("Plugins") or {}).get("Authorization")
    shown = Shown(list(plugins or []), "api /info Plugins.Authorization") if daemon.info is not None else None
    key = "authorization-plugin" if "authorization-plugin" in daemon.flags else "authorization-plugins"
    return setting(daemon, key, [], shown, json_key="authorization-plugins")


def info_value(daemon: DockerDaemonFacts, key: str) -> Any:
    """A field of the API's /info answer (None when absent or the API did not answer)."""
    return (daemon.info or {}).get(key)


def shown_by_info(daemon: DockerDaemonFacts, key: str) -> Shown | None:
    """An /info field as the value the running daemon shows (None when the API did not give it)."""
    value = info_value(daemon, key)
    return None if value is None else Shown(value, "api /info")
