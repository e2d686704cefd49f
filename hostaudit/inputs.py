"""Reading the files a user hands the CLI (reports, baselines, waivers): bounded in size and nesting, one clear
ValueError for anything else. These files may come from other hosts or other people: they are hostile input."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

MAX_BYTES = 256 * 1024 * 1024  # far above a 1000-container report (about 60 MB of JSON)
MAX_DEPTH = 32  # a hostaudit report nests 7 levels deep
_ESCAPE = re.compile(rb"\\.", re.DOTALL)  # a backslash and the byte it escapes (ASCII in valid JSON)
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_ONE_BRACKET = bytes.maketrans(b"{}", b"[]")  # for nesting, an object is a list
_STRING = re.compile(rb'"[^"]*"')


def _read_bytes(path: Path, what: str, limit: int) -> bytes:
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
    return raw


def _utf8(raw: bytes, path: Path, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{what} {path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def read_text(path: Path, what: str, limit: int = MAX_BYTES) -> str:
    """The UTF-8 text of a regular file of at most `limit` bytes; ValueError naming `what` and the path otherwise."""
    return _utf8(_read_bytes(path, what, limit), path, what)


def check_depth(value: Any, what: str, limit: int = MAX_DEPTH) -> None:
    """ValueError when `value` nests lists and objects deeper than `limit` (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                raise ValueError(f"{what}: nested deeper than {limit} levels")
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))


def json_deeper_than(document: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether valid JSON text nests lists and objects deeper than `limit`, as `check_depth` of its value would say,
    read from the text at the speed of bytes methods: escapes dropped, then everything but quotes and brackets, then
    strings (whatever brackets they hold), leaving the brackets outside strings; each pass removes every innermost
    pair, so it is empty after `limit` passes exactly when the value is at most `limit` deep."""
    skeleton = _ESCAPE.sub(b"", document).translate(_ONE_BRACKET, _NOT_STRUCTURE)
    # quotes alternate open/close, so dropping two adjacent ones leaves every other quote's role the same
    skeleton = _STRING.sub(b"", skeleton.replace(b'""', b""))
    for _ in range(limit):
        if not skeleton:
            return False
        skeleton = skeleton.replace(b"[]", b"")
    return bool(skeleton)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def load_json(path: Path, what: str) -> Any:
    """A strict JSON document (no NaN/Infinity) of bounded size and depth; ValueError with one readable line."""
    raw = _read_bytes(path, what, MAX_BYTES)
    text = _utf8(raw, path, what)
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError as exc:
        raise ValueError(f"{what} {path}: nested too deeply") from exc
    except ValueError as exc:
        raise ValueError(f"{what} {path}: not JSON: {str(exc).splitlines()[0][:200]}") from exc
    if json_deeper_than(raw):
        raise ValueError(f"{what} {path}: nested deeper than {MAX_DEPTH} levels")
    return value
