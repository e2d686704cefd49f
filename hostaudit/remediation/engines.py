"""Remediation aimed at each dockerd the report lists beside the endpoint's.

A rootful dockerd gets a play of its own: its failed daemon.json keys, written to its own daemon.json and read back
through its own socket; it is not restarted (how it was started is not known), which the play says. A rootless
dockerd's keys are never applied as root to its user's files: they are left off, each with what its owner does.
Paths come from the report (`targets.Targets.accept`: plain absolute paths, written as `!unsafe`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from hostaudit.remediation.playbook import ENDPOINT, KeyDecision, PlaybookOptions, build_play, decide_keys
from hostaudit.remediation.targets import UNIX, Targets
from hostaudit.remediation.unsafe import Unsafe, shown

NOT_RESTARTED = "none"  # the role writes daemon.json and says the change waits for a restart


@dataclass(frozen=True)
class EnginePlans:
    plays: list[dict[str, Any]]
    decisions: list[KeyDecision]  # every other dockerd's keys, with the dockerd they are aimed at
    unplayed: list[KeyDecision]  # those in no play of their own (a rootless engine's): listed in the endpoint's


def _other_engines(report: dict[str, Any]) -> list[dict[str, Any]]:
    engines = report.get("engines") if isinstance(report.get("engines"), list) else []
    return [e for e in engines if isinstance(e, dict) and isinstance(e.get("subject"), str)
            and e["subject"] != ENDPOINT]


def _for_owner(engine: dict[str, Any], config: str) -> str:
    """What the owner of a rootless dockerd does about a key: the user's own file and service, never root's run."""
    owner = shown(str(engine.get("owner") or ""))
    return (f"rootless dockerd of {owner} (uid {engine.get('uid')}): never applied as root to a user's files; "
            f"as {owner}, set it in {config} and run `systemctl --user restart docker`")


def engine_plans(report: dict[str, Any], known_keys: frozenset[str], options: PlaybookOptions, role: str,
                 targets: Targets) -> EnginePlans:
    """A play per other rootful dockerd with failed keys, and the decisions for every other dockerd."""
    plays: list[dict[str, Any]] = []
    decisions: list[KeyDecision] = []
    unplayed: list[KeyDecision] = []
    for engine in _other_engines(report):
        endpoint = engine.get("endpoint")
        socket = targets.accept(endpoint.removeprefix(UNIX) if isinstance(endpoint, str) else endpoint,
                                "dockerd socket")
        config = targets.accept(engine.get("config_file"), "daemon.json path")
        if socket is None or config is None:
            continue
        own = PlaybookOptions(restart_method=NOT_RESTARTED, hosts=options.hosts, role=options.role,
                              allow_disruptive=options.allow_disruptive, variables=options.variables)
        found = [replace(d, engine=str(socket)) for d in decide_keys(report, known_keys, own, engine["subject"])]
        if engine.get("rootless") is not False:
            found = [replace(d, enabled=False, reason=Unsafe(_for_owner(engine, config))) for d in found]
        decisions += found
        if any(d.enabled for d in found):
            plays += build_play([d for d in found if d.key in known_keys], own, role, {
                "container_hardening_daemon_json_path": config,
                "container_hardening_docker_host": Unsafe(f"{UNIX}{socket}")}, aimed_at=socket)
        else:
            unplayed += found
    return EnginePlans(plays, decisions, unplayed)
