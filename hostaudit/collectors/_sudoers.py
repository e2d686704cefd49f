"""sudoers rules that let a non-root user run the Docker client or daemon as root (CIS 1.1.2)."""

from __future__ import annotations

import fnmatch
import os
import re

from hostaudit.collectors._fs import host_listdir, read_text
from hostaudit.model import Presence, SudoGrant

SUDOERS = "/etc/sudoers"
SUDOERS_DIR = "/etc/sudoers.d"
DOCKER_COMMANDS = frozenset({"docker", "dockerd"})
ALIAS = re.compile(r"^(User_Alias|Runas_Alias|Host_Alias|Cmnd_Alias|Cmd_Alias)\s+(.*)$")
RULE = re.compile(r"^(?P<who>[^=]+?)\s+(?P<hosts>[^\s=]+(?:\s*,\s*[^\s=]+)*)\s*=\s*(?P<rest>.+)$")
RUNAS = re.compile(r"^\(([^)]*)\)\s*")
TAG = re.compile(r"^(?:NOPASSWD|PASSWD|NOEXEC|EXEC|SETENV|NOSETENV|LOG_INPUT|NOLOG_INPUT|LOG_OUTPUT|NOLOG_OUTPUT"
                 r"|MAIL|NOMAIL|FOLLOW|NOFOLLOW|INTERCEPT|NOINTERCEPT)\s*:\s*")
OPTION = re.compile(r"^(?:CWD|CHROOT|ROLE|TYPE|TIMEOUT|NOTBEFORE|NOTAFTER)\s*=\s*\S+\s*")


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines joined at trailing backslashes, comments dropped, with the number of their first line."""
    joined: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        if re.match(r"^\s*[#@]include", line):
            continue
        line = line.split("#", 1)[0].strip()
        if line:
            joined.append((start, line))
    return joined


def _split(items: str) -> list[str]:
    return [item.strip() for item in items.split(",") if item.strip()]


def _expand(names: list[str], aliases: dict[str, list[str]], depth: int = 0) -> list[str]:
    found: list[str] = []
    for name in names:
        bare = name.lstrip("!").strip()
        if bare in aliases and depth < 8:
            found += _expand(aliases[bare], aliases, depth + 1)
        else:
            found.append(name)
    return found


def _runs_as_root(runas: str | None, aliases: dict[str, list[str]]) -> bool:
    """No runas list means root; `(:group)` keeps the user but adds the group, which for docker is the same."""
    users = runas.split(":", 1)[0].strip() if runas is not None else ""
    if not users:
        return True
    return any(user in ("ALL", "root", "#0") for user in _expand(_split(users), aliases))


def _commands(rest: str) -> list[tuple[str | None, str]]:
    """(runas, command) pairs of a rule's command list; a runas list carries over to the commands after it."""
    pairs: list[tuple[str | None, str]] = []
    runas: str | None = None
    for item in _split(rest):
        match = RUNAS.match(item)
        if match:
            runas, item = match.group(1), item[match.end():]
        while True:
            stripped = OPTION.sub("", TAG.sub("", item, count=1), count=1)
            if stripped == item:
                break
            item = stripped
        if item:
            pairs.append((runas, item.strip()))
    return pairs


def _is_docker(command: str) -> bool:
    if command.lstrip("!") != command:
        return False
    if command == "ALL":
        return True
    name = os.path.basename(command.split()[0])
    return any(fnmatch.fnmatchcase(docker, name) for docker in DOCKER_COMMANDS)  # sudo allows globs: docker*


def parse_sudoers(text: str, origin: str) -> list[SudoGrant]:
    """Rules in one sudoers file granting docker, dockerd or ALL as root to someone other than root.
    Aliases are resolved within the file; what cannot be parsed is skipped."""
    aliases: dict[str, list[str]] = {}
    grants = []
    for number, line in _logical_lines(text):
        alias = ALIAS.match(line)
        if alias:
            for definition in alias.group(2).split(":"):
                name, sep, members = definition.partition("=")
                if sep:
                    aliases[name.strip()] = _split(members)
            continue
        if line.startswith("Defaults"):
            continue
        rule = RULE.match(line)
        if not rule:
            continue
        principals = [p for p in _expand(_split(rule.group("who")), aliases) if p not in ("root", "#0")]
        for runas, command in _commands(rule.group("rest")):
            for expanded in _expand([command], aliases):
                if _runs_as_root(runas, aliases) and _is_docker(expanded):
                    grants += [SudoGrant(p, expanded, f"{origin}:{number}") for p in principals
                               if not p.startswith("!")]
    return grants


def read_sudoers() -> tuple[tuple[SudoGrant, ...], tuple[str, ...]]:
    """Grants from /etc/sudoers and /etc/sudoers.d/* (the files sudo reads: no dot, no trailing ~), and the files
    that exist but could not be read."""
    unreadable = []
    try:
        names = sorted(host_listdir(SUDOERS_DIR))
    except FileNotFoundError:
        names = []
    except OSError:
        names = []
        unreadable.append(SUDOERS_DIR)
    paths = [SUDOERS, *(f"{SUDOERS_DIR}/{n}" for n in names if "." not in n and not n.endswith("~"))]
    grants: list[SudoGrant] = []
    for path in paths:
        found = read_text(path)
        if found.presence is Presence.UNREADABLE:
            unreadable.append(path)
        elif found.text is not None:
            grants += parse_sudoers(found.text, path)
    return tuple(grants), tuple(unreadable)
