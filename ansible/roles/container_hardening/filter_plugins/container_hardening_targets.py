"""Filters of the container_hardening role: whether a path is a target the role may change.

Paths reach the role from a hostaudit report, and a report may name what an unprivileged user chose (a fake
dockerd's `-H unix:///etc/passwd`, the user's own socket). The role changes only what root owns and what has the
kind the key expects; everything else is refused with the reason, never chmod'ed or chown'ed.
"""

from __future__ import annotations

import os
from typing import Any

KINDS = {"socket": ("issock",), "file": ("isreg",), "directory": ("isdir",), "file_or_directory": ("isreg", "isdir")}
WHAT = (("islnk", "a symbolic link"), ("issock", "a socket"), ("isreg", "a regular file"), ("isdir", "a directory"))


def target_refusal(stat: dict[str, Any], kind: str) -> str:
    """Why the existing path `stat` (ansible.builtin.stat, follow: false) must not be changed as a `kind`
    target; '' when root owns it and it has that kind. An absent path is not refused (callers skip it)."""
    if not stat.get("exists"):
        return ""
    if kind not in KINDS:
        return f"unknown kind {kind!r} (one of {', '.join(KINDS)})"
    found = next((name for key, name in WHAT if stat.get(key)), "another kind of file")
    if stat.get("islnk") or not any(stat.get(key) for key in KINDS[kind]):
        return f"not a {kind.replace('_', ' or ')}: {found}"
    if stat.get("uid") != 0:
        return f"owned by uid {stat.get('uid')}, not root"
    return ""


def mode_refusal(mode: Any) -> str:
    """Why `mode` is no octal mode string such as '0660' (YAML reads an unquoted 0660 as the integer 432, whose
    digits would be taken for permission bits); '' when it is one."""
    if isinstance(mode, str) and 3 <= len(mode) <= 4 and all(c in "01234567" for c in mode):
        return ""
    return f"mode {mode!r} is not an octal string such as '0660'"


def judge_targets(results: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    """Registered stat loop `results` of existing paths, each as {item, refused} (`refused` the reason, or '');
    an item's own `kind` wins over `kind`."""
    return [{"item": r["item"], "refused": mode_refusal(r["item"].get("mode"))
             or target_refusal(r["stat"], r["item"].get("kind", kind))}
            for r in results if r.get("stat", {}).get("exists")]


def daemon_json_refusal(path: Any, file_stat: dict[str, Any], dir_stat: dict[str, Any]) -> str:
    """Why daemon.json must not be written at `path` (its stat and its directory's, follow: false); '' when it is a
    root-owned regular file, or absent, in a root-owned directory."""
    if not isinstance(path, str) or not path.startswith("/"):
        return "not an absolute path"
    if not dir_stat.get("exists"):
        return "its directory does not exist"
    in_dir = target_refusal(dir_stat, "directory")
    return target_refusal(file_stat, "file") or (f"its directory is {in_dir}" if in_dir else "")


def watch_refusal(path: Any) -> str:
    """Why `path` cannot be an audit watch (`-w PATH` in a rules file); '' when it is an absolute, normalised path
    without whitespace or control characters."""
    if not isinstance(path, str) or not path.startswith("/"):
        return "not an absolute path"
    if any(c.isspace() or not c.isprintable() for c in path):
        return "contains whitespace or control characters"
    if os.path.normpath(path) != path:
        return "not a normalised path"
    return ""


def split_watches(paths: list[Any]) -> dict[str, list[Any]]:
    """{accepted: the paths fit to watch, refused: [{path, refused: reason}] for the others}."""
    verdicts = [(path, watch_refusal(path)) for path in paths]
    return {"accepted": [path for path, reason in verdicts if not reason],
            "refused": [{"path": path, "refused": reason} for path, reason in verdicts if reason]}


class FilterModule:
    """The role's target filters."""

    def filters(self) -> dict[str, Any]:
        return {"container_hardening_target_refusal": target_refusal,
                "container_hardening_judge_targets": judge_targets,
                "container_hardening_daemon_json_refusal": daemon_json_refusal,
                "container_hardening_split_watches": split_watches}
