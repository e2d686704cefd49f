"""Pure parsers for the text formats collectors read. They never raise on malformed input: they skip what they
cannot read, so a hostile or truncated file yields partial facts rather than a crash."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

from hostaudit.model import MountInfo

# dockerd flags that take no value (Go's pflag: `--flag` means true, `--flag=false` sets false).
DOCKERD_BOOL_FLAGS = frozenset({
    "debug", "D", "experimental", "icc", "init", "ip-forward", "ip-masq", "ip6tables", "iptables", "ipv6",
    "live-restore", "no-new-privileges", "raw-logs", "rootless", "selinux-enabled", "tls", "tlsverify",
    "userland-proxy", "validate", "help", "version", "v", "h",
})
DOCKERD_SHORT_FLAGS = {"H": "host", "D": "debug", "l": "log-level", "G": "group", "g": "data-root", "p": "pidfile"}


def parse_status(text: str) -> dict[str, str]:
    """`/proc/<pid>/status` as a dict of field -> raw value."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip()] = value.strip()
    return fields


def hex_mask(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value, 16)
    except ValueError:
        return None


def int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


OCTAL_ESCAPE = re.compile(r"\\([0-7]{3})")


def _unescape_octal(text: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as \\040 etc."""
    return OCTAL_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), text) if "\\" in text else text


def parse_mountinfo(text: str) -> tuple[MountInfo, ...]:
    """`/proc/<pid>/mountinfo` lines (see proc(5)); malformed lines are skipped."""
    mounts = []
    for line in text.splitlines():
        left, sep, right = line.partition(" - ")
        if not sep:
            continue
        fields = left.split()
        tail = right.split()
        if len(fields) < 6 or len(tail) < 2:
            continue
        mounts.append(MountInfo(
            mount_point=_unescape_octal(fields[4]),
            root=_unescape_octal(fields[3]),
            fstype=tail[0],
            source=_unescape_octal(tail[1]),
            options=tuple(fields[5].split(",")),
            super_options=tuple(tail[2].split(",")) if len(tail) > 2 else (),
            propagation=tuple(fields[6:]),
        ))
    return tuple(mounts)


def parse_kernel_release(release: str) -> tuple[int, int, int] | None:
    """The upstream (major, minor, patch) of a `uname -r` string such as `5.15.0-91-generic`; None if unreadable."""
    match = re.match(r"\s*(\d+)\.(\d+)(?:\.(\d+))?", release or "")
    if not match:
        return None
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def parse_version(text: str | None) -> tuple[int, ...] | None:
    """Numeric components of a version such as `1.1.5+ds1`, `v1.0.0-rc93` or `20.10.24+dfsg1`; None if absent."""
    match = re.match(r"\s*v?(\d+(?:\.\d+)*)", text or "")
    return tuple(int(p) for p in match.group(1).split(".")) if match else None


def parse_dockerd_argv(argv: list[str] | tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """dockerd's command-line flags as long name -> values, in any syntax dockerd accepts
    (`--flag=v`, `--flag v`, `-H v`, `-Hv`, `--bool`, `--bool=false`)."""
    flags: dict[str, list[str]] = {}
    args = list(argv[1:])
    index = 0
    while index < len(args):
        arg = args[index].strip()
        index += 1
        if not arg.startswith("-") or arg in ("-", "--"):
            continue
        body = arg.lstrip("-")
        name, has_value, value = body.partition("=")
        if not arg.startswith("--") and len(name) > 1 and name[0] in DOCKERD_SHORT_FLAGS and not has_value:
            name, value, has_value = name[0], name[1:], "="
        long_name = DOCKERD_SHORT_FLAGS.get(name, name) if not arg.startswith("--") else name
        if not has_value:
            if name in DOCKERD_BOOL_FLAGS or long_name in DOCKERD_BOOL_FLAGS:
                value = "true"
            elif index < len(args):
                value = args[index]
                index += 1
            else:
                value = ""
        flags.setdefault(long_name, []).append(value)
    return {name: tuple(values) for name, values in flags.items()}


def parse_json_object(text: str) -> dict[str, Any]:
    """A JSON document that must be an object; raises ValueError with a readable message otherwise."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    except RecursionError as exc:
        raise ValueError("invalid JSON: nested too deeply") from exc
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, found {type(data).__name__}")
    return data


def parse_toml(text: str) -> dict[str, Any]:
    """A TOML document as a dict; raises ValueError with a readable message otherwise."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"invalid TOML: {exc}") from exc
    except RecursionError as exc:
        raise ValueError("invalid TOML: nested too deeply") from exc


def parse_group_file(group_text: str, passwd_text: str) -> dict[str, tuple[str, ...]]:
    """Group name -> members, counting users whose primary group it is (as `getent group` does not)."""
    members: dict[str, set[str]] = {}
    gid_to_name: dict[str, str] = {}
    for line in group_text.splitlines():
        parts = line.split(":")
        if len(parts) >= 4 and parts[0] and not parts[0].startswith("#"):
            gid_to_name[parts[2]] = parts[0]
            members.setdefault(parts[0], set()).update(u for u in parts[3].split(",") if u)
    for line in passwd_text.splitlines():
        parts = line.split(":")
        if len(parts) >= 4 and parts[3] in gid_to_name:
            members[gid_to_name[parts[3]]].add(parts[0])
    return {name: tuple(sorted(users)) for name, users in members.items()}


def parse_audit_rules(text: str, origin: str) -> list[tuple[str, str, str, str]]:
    """Watch rules (`-w PATH -p PERM -k KEY`, or `-a ... -F path=PATH -F perm=PERM`) as (path, perm, key, origin)."""
    rules = []
    for line in text.splitlines():
        tokens = line.split("#", 1)[0].split()
        if not tokens:
            continue
        path = perm = key = ""
        for i, token in enumerate(tokens):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            if token == "-w":
                path = nxt
            elif token == "-p":
                perm = nxt
            elif token == "-k":
                key = nxt
            elif token == "-F" and nxt.startswith(("path=", "dir=")):
                path = nxt.split("=", 1)[1]
            elif token == "-F" and nxt.startswith("perm="):
                perm = nxt.split("=", 1)[1]
            elif token == "-F" and nxt.startswith("key="):
                key = nxt.split("=", 1)[1]
        if path:
            rules.append((path, perm, key, origin))
    return rules
