"""Reading the files a user hands the CLI (reports, baselines, waivers): bounded in size and nesting, one clear
ValueError for anything else. These files may come from other hosts or other people: they are hostile input."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

MAX_BYTES = 256 * 1024 * 1024  # far above a 1000-container report (about 60 MB of JSON)
MAX_DEPTH = 32  # a hostaudit report nests 7 levels deep


def read_text(path: Path, what: str, limit: int = MAX_BYTES) -> str:
    """The UTF-8 text of a regular file of at most `limit` bytes; ValueError naming `what` and the path otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise ValueError(f"{what} {path}: cannot read: {exc.strerror or exc}") from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError(f"{what} {path}: not a regular file")
        with os.fdopen(os.dup(fd), "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise ValueError(f"{what} {path}: cannot read: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)
    if len(raw) > limit:
        raise ValueError(f"{what} {path}: larger than {limit} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{what} {path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def check_depth(value: Any, what: str, limit: int = MAX_DEPTH) -> None:
    """ValueError when `value` nests lists and objects deeper than `limit` (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                raise ValueError(f"{what}: nested deeper than {limit} levels")
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def load_json(path: Path, what: str) -> Any:
    """A strict JSON document (no NaN/Infinity) of bounded size and depth; ValueError with one readable line."""
    text = read_text(path, what)
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError as exc:
        raise ValueError(f"{what} {path}: nested too deeply") from exc
    except ValueError as exc:
        raise ValueError(f"{what} {path}: not JSON: {str(exc).splitlines()[0][:200]}") from exc
    check_depth(value, f"{what} {path}")
    return value
