"""sudoers rules that let a non-root user run the Docker client or daemon as root (CIS 1.1.2).

Read as sudo 1.9 reads them: /etc/sudoers and the files it includes (`@include`, `#include`, `@includedir`,
`#includedir`; a relative path from the including file's directory, `%h` the short host name), aliases shared by all
files, `#uid` and `%#gid` ids, run-as lists (`(ALL)`, `(root)`, `(#0)`, `(ALL:ALL)`, `(:docker)`, Runas_Alias),
options, tags and digests before a command, continued lines, escapes and quotes. Where the text alone cannot decide,
the answer is a grant: hosts are not matched, a digest is not checked against the file, and a negated entry
(`!/usr/bin/docker`, `ALL, !bob`, `(ALL, !root)`) takes no grant away (sudo's own manual: a user who may run ALL
runs a copy of the binary). tests/engine/test_sudoers_oracle.py holds the reader to `sudo -l -U` on generated files.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import re
import stat
from dataclasses import dataclass, field

from hostaudit.collectors._fs import host_listdir, host_path, read_text
from hostaudit.model import Presence, SudoGrant

SUDOERS = "/etc/sudoers"
MAX_DEPTH = 128  # sudo's own limit on nested includes
MAX_FILES = 4096
DOCKER_COMMANDS = ("docker", "dockerd")
BIN_DIRS = ("/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin", "/usr/local/sbin")  # where docker lives
ROOT_USERS = frozenset({"ALL", "root", "#0", "%root", "%#0"})
ROOT_GROUPS = frozenset({"ALL", "docker"})  # the docker group is root on the host too
ALIAS_KINDS = {"User_Alias": "user", "Runas_Alias": "runas", "Host_Alias": "host", "Cmnd_Alias": "cmnd",
               "Cmd_Alias": "cmnd"}
ALIAS = re.compile(r"^(User_Alias|Runas_Alias|Host_Alias|Cmnd_Alias|Cmd_Alias)\s+(.*)$")
INCLUDE = re.compile(r"^[#@]include(dir)?\s+(.+)$")
TAG_WORDS = ("NOPASSWD|PASSWD|NOEXEC|EXEC|SETENV|NOSETENV|LOG_INPUT|NOLOG_INPUT|LOG_OUTPUT|NOLOG_OUTPUT|MAIL|NOMAIL"
             "|FOLLOW|NOFOLLOW|INTERCEPT|NOINTERCEPT")
OPTION_WORDS = "CWD|CHROOT|ROLE|TYPE|TIMEOUT|NOTBEFORE|NOTAFTER|APPARMOR_PROFILE|PRIVS|LIMITPRIVS"
# a colon that ends a tag or a digest's algorithm is no separator of host sections: hidden while splitting
COLON_WORDS = re.compile(rf"\b({TAG_WORDS}|sha224|sha256|sha384|sha512)\s*:")
HIDDEN_COLON = "\0"
PREFIX = re.compile(rf"^(?:\((?P<runas>[^)]*)\)|(?:{OPTION_WORDS})\s*=\s*(?:\"[^\"]*\"|\S+)|(?:{TAG_WORDS})\s*:"
                    rf"|sha(?:224|256|384|512)\s*:\s*\S+)\s*")
HOST_SECTION = re.compile(rf"^\s*(?!(?:{OPTION_WORDS})\s*=)[^\s=]+(?:\s*,\s*[^\s=]+)*\s*=(?P<commands>.*)$", re.S)


def _split(text: str, seps: str) -> list[str]:
    """`text` cut at the characters in `seps` that are not escaped, quoted or inside parentheses; pieces stripped,
    empty ones dropped."""
    pieces, current, depth, quoted, escaped = [], [], 0, False, False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
            continue
        if char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth = max(depth - 1, 0)
        elif not quoted and not depth and char in seps:
            pieces.append("".join(current))
            current = []
            continue
        current.append(char)
    pieces.append("".join(current))
    return [piece.strip() for piece in pieces if piece.strip()]


def _word(text: str) -> str:
    """A name as sudo reads it: quotes removed and backslash escapes resolved."""
    return re.sub(r"\\(.)", r"\1", text.strip().replace('"', ""))


def _uncomment(line: str) -> str:
    """`line` without its comment: a `#` not escaped, not quoted and not starting an id (`#0`, `%#100`)."""
    quoted = escaped = False
    for index, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "#" and not quoted and not line[index + 1:index + 2].isdigit():
            return line[:index]
    return line


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines joined at trailing backslashes, comments dropped (include directives kept), with their first line's
    number."""
    joined: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not pending:
            start = number
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending += line[:-1] + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if not INCLUDE.match(line):
            line = _uncomment(line).strip()
        if line:
            joined.append((start, line))
    return joined


@dataclass
class _Sources:
    """The logical lines of a sudoers file and everything it includes, in the order sudo reads them."""

    hostname: str
    lines: list[tuple[str, str]] = field(default_factory=list)  # (file:line, text)
    unreadable: list[str] = field(default_factory=list)
    files: int = 0

    def read(self, path: str, depth: int = 0) -> None:
        self.files += 1
        if depth > MAX_DEPTH or self.files > MAX_FILES:
            self.unreadable.append(f"{path}: included more than {MAX_DEPTH} deep or past {MAX_FILES} files")
            return
        if _ignored_by_sudo(path):
            return
        found = read_text(path)
        if found.presence is Presence.UNREADABLE:
            self.unreadable.append(path)
        if found.text is None:
            return
        for number, line in _logical_lines(found.text):
            include = INCLUDE.match(line)
            if include is None:
                self.lines.append((f"{path}:{number}", line))
                continue
            target = _word(include.group(2)).replace("%h", self.hostname.split(".")[0]).replace("%%", "%")
            target = posixpath.join(posixpath.dirname(path), target)
            if include.group(1):
                self.read_dir(target, depth + 1)
            else:
                self.read(target, depth + 1)

    def read_dir(self, directory: str, depth: int) -> None:
        """The files of an includedir that sudo reads (no dot in the name, no trailing ~), sorted as sudo does."""
        try:
            names = sorted(host_listdir(directory))
        except FileNotFoundError:
            return
        except OSError:
            self.unreadable.append(directory)
            return
        for name in names:
            if "." not in name and not name.endswith("~"):
                self.read(f"{directory.rstrip('/')}/{name}", depth)


def _ignored_by_sudo(path: str) -> bool:
    """Whether sudo skips the file: not owned by root, writable by others, or by a group other than root's."""
    try:
        status = os.stat(host_path(path))
    except OSError:
        return False  # read_text tells absent from unreadable
    return bool(status.st_uid != 0 or status.st_mode & stat.S_IWOTH
                or (status.st_mode & stat.S_IWGRP and status.st_gid != 0))


def _expand(items: list[str], kind: str, aliases: dict[tuple[str, str], list[str]], depth: int = 0,
            negated: bool = False) -> list[tuple[bool, str]]:
    """(negated, item) for each item of a list, aliases of `kind` replaced by their members (a negated alias negates
    its members)."""
    found: list[tuple[bool, str]] = []
    for item in items:
        bare = item.lstrip("!").strip()
        flip = negated ^ ((len(item) - len(item.lstrip("!"))) % 2 == 1)
        members = aliases.get((kind, bare))
        if members is not None and depth < 16:
            found += _expand(members, kind, aliases, depth + 1, flip)
        else:
            found.append((flip, _word(bare)))
    return found


def _allowed(items: list[str], kind: str, aliases: dict[tuple[str, str], list[str]]) -> set[str]:
    return {item for negated, item in _expand(items, kind, aliases) if not negated}


def _runs_as_root(runas: str | None, aliases: dict[tuple[str, str], list[str]]) -> bool:
    """No run-as list, or `()`, means root; `(:docker)` or `(:ALL)` keeps the user but gives the docker group."""
    if runas is None:
        return True
    users, _, groups = runas.partition(":")
    if not users.strip() and not groups.strip():
        return True
    return bool(_allowed(_split(users, ","), "runas", aliases) & ROOT_USERS
                or _allowed(_split(groups, ","), "runas", aliases) & ROOT_GROUPS)


def _commands(text: str) -> list[tuple[str | None, str]]:
    """(run-as list, command) of each entry of a command list; a run-as list carries over to the entries after it.
    Options, tags and digests are dropped (an entry that is only a digest belongs to the next)."""
    pairs: list[tuple[str | None, str]] = []
    runas: str | None = None
    for item in _split(text, ","):
        while (prefix := PREFIX.match(item)) and prefix.end():
            if prefix.group("runas") is not None:
                runas = prefix.group("runas")
            item = item[prefix.end():]
        if item:
            pairs.append((runas, item))
    return pairs


def _is_docker(command: str) -> bool:
    """Whether a command (not negated, aliases expanded) can run docker or dockerd."""
    if command == "ALL":
        return True
    words = _split(command, " \t")
    if not words:
        return False
    path = _word(words[0])
    if path.startswith("^"):  # sudo 1.9.10 regular expression
        try:
            return any(re.search(path, f"{d}/{n}") for d in BIN_DIRS for n in DOCKER_COMMANDS)
        except re.error:
            return True
    if path.endswith("/"):  # every file in that directory
        return any(fnmatch.fnmatchcase(d, path.rstrip("/")) for d in BIN_DIRS)
    name = posixpath.basename(path)
    return any(fnmatch.fnmatchcase(docker, name) for docker in DOCKER_COMMANDS)  # sudo allows globs: docker*


def _sections(rule: str) -> tuple[str, list[str]] | None:
    """The user list and the command lists of each `Host_List = Cmnd_Spec_List` section of a rule."""
    hidden = COLON_WORDS.sub(lambda m: m.group(1) + HIDDEN_COLON, rule)
    head, sep, rest = hidden.partition("=")
    who = _split(re.sub(r"\s*,\s*", ",", head), " \t")
    if not sep or len(who) != 2:
        return None
    sections: list[str] = []
    for piece in _split(rest, ":"):
        host_section = HOST_SECTION.match(piece)
        if host_section and sections:
            sections.append(host_section.group("commands"))
        elif sections:
            sections[-1] += ":" + piece
        else:
            sections.append(piece)
    return who[0], [section.replace(HIDDEN_COLON, ":") for section in sections]


def _grants(lines: list[tuple[str, str]]) -> list[SudoGrant]:
    """Grants of docker, dockerd or ALL as root to someone other than root, from the logical lines of all files."""
    aliases: dict[tuple[str, str], list[str]] = {}
    rules: list[tuple[str, str]] = []
    for origin, line in lines:
        alias = ALIAS.match(line)
        if alias:
            kind = ALIAS_KINDS[alias.group(1)]
            for definition in _split(COLON_WORDS.sub(lambda m: m.group(1) + HIDDEN_COLON, alias.group(2)), ":"):
                name, sep, members = definition.partition("=")
                if sep:
                    aliases[(kind, name.strip())] = _split(members.replace(HIDDEN_COLON, ":"), ",")
        elif not re.match(r"^Defaults\b", line):
            rules.append((origin, line))
    grants = []
    for origin, line in rules:
        parsed = _sections(line)
        if parsed is None:
            continue
        principals = sorted(_allowed(_split(parsed[0], ","), "user", aliases) - {"root", "#0"})
        for section in parsed[1]:
            for runas, command in _commands(section):
                for negated, expanded in _expand([command], "cmnd", aliases):
                    if not negated and _runs_as_root(runas, aliases) and _is_docker(expanded):
                        grants += [SudoGrant(p, expanded, origin) for p in principals]
    return grants


def parse_sudoers(text: str, origin: str) -> list[SudoGrant]:
    """The grants of one sudoers text on its own (its include lines not followed)."""
    return _grants([(f"{origin}:{number}", line) for number, line in _logical_lines(text)])


def _resolve(principal: str, passwd: str, group: str) -> list[str]:
    """A `#uid` as its user's name, a `%#gid` as `%group` (or, with no such group, the users whose primary group id it
    is); anything else as written."""
    ids = re.fullmatch(r"(%?)#(\d+)", principal)
    if ids is None:
        return [principal]
    table, column = (group, 2) if ids.group(1) else (passwd, 2)
    names = [parts[0] for parts in (line.split(":") for line in table.splitlines())
             if len(parts) > column and parts[column] == ids.group(2)]
    if names:
        return [ids.group(1) + names[0]]
    if ids.group(1):
        return [parts[0] for parts in (line.split(":") for line in passwd.splitlines())
                if len(parts) > 3 and parts[3] == ids.group(2)] or [principal]
    return [principal]


def read_sudoers(passwd: str, group: str, hostname: str) -> tuple[tuple[SudoGrant, ...], tuple[str, ...]]:
    """Grants from /etc/sudoers and what it includes, ids resolved through the host's passwd and group files; and
    the files that exist but could not be read."""
    sources = _Sources(hostname)
    sources.read(SUDOERS)
    grants = [SudoGrant(name, g.command, g.origin) for g in _grants(sources.lines)
              for name in _resolve(g.principal, passwd, group) if name not in ("root", "#0")]
    return tuple(dict.fromkeys(grants)), tuple(sources.unreadable)
