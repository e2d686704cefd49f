"""Round-trip frozen dataclasses through JSON-ready values, guided by their type hints."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from enum import Enum
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


_SCALARS = frozenset({str, int, float, bool, type(None)})


@cache
def _field_names(kind: type) -> tuple[str, ...] | None:
    """The field names of a dataclass type, None for any other type."""
    return tuple(f.name for f in dataclasses.fields(kind)) if dataclasses.is_dataclass(kind) else None


_KEY_WORDS = {True: "true", False: "false", None: "null"}


def json_key(key: Any) -> str:
    """A dict key as text, as the `json` module writes a key it is given (true, false, null, numbers): converting a
    value first or letting an encoder convert it gives the same document."""
    if isinstance(key, str):
        return str(key)
    if key is None or isinstance(key, bool):
        return _KEY_WORDS[key]
    return str(key)


def to_jsonable(value: Any) -> Any:
    """Turn dataclasses, enums and tuples into dicts, strings and lists (also fit as a JSON encoder's `default`)."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    # the plain containers first: most of a report's values are evidence dicts and lists
    if kind is dict:
        return {json_key(k): to_jsonable(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [to_jsonable(v) for v in value]
    names = _field_names(kind)
    if names is not None:
        return {name: to_jsonable(getattr(value, name)) for name in names}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {json_key(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, include_extras=True)


# Limits on a stored document (hostile: a snapshot may come from another host). The lab's snapshot nests 9 deep.
MAX_DEPTH = 32
MAX_STRING = 4 * 2**20  # container-controlled labels reach the snapshot verbatim (the hostile-input test: 1 MiB)
MAX_ITEMS = 100_000  # entries of one list or object
INT_RANGE = (-(2**63), 2**64 - 1)


def check_document(data: Any) -> None:
    """Refuse (ValueError) a JSON value nested deeper than MAX_DEPTH, or holding an over-long string or list, an
    integer outside INT_RANGE or a non-finite float. Iterative, so no input can exhaust the stack."""
    pending: list[tuple[Any, int]] = [(data, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
            if len(value) > MAX_ITEMS:
                raise ValueError(f"a list or object of {len(value)} entries (at most {MAX_ITEMS})")
            items = value.values() if isinstance(value, dict) else value
            pending.extend((item, depth + 1) for item in items)
            if isinstance(value, dict):
                pending.extend((key, depth + 1) for key in value)
        elif isinstance(value, str):
            if len(value) > MAX_STRING:
                raise ValueError(f"a string of {len(value)} characters (at most {MAX_STRING})")
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if not INT_RANGE[0] <= value <= INT_RANGE[1]:
                raise ValueError(f"an integer outside {INT_RANGE[0]}..{INT_RANGE[1]}")
        elif isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError(f"non-finite number {value}")
        else:
            raise ValueError(f"not a JSON value: {type(value).__name__}")


def from_jsonable(tp: Any, data: Any) -> Any:
    """Rebuild a value of type `tp` from what `to_jsonable` produced; ValueError on a mismatch. Every dataclass
    field must be present (defaults are for code, never for a stored document), no unknown field is accepted, and
    an `Annotated[int, Bounds(...)]` value must lie in its bounds."""
    return _reader(tp)(data)


Reader = Callable[[Any], Any]


@cache
def _reader(tp: Any) -> Reader:
    """The function that reads a value of type `tp`: the type hints are looked at once per type, not once per value
    (a 1000-container snapshot holds half a million values)."""
    if tp is Any:
        return _same
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _annotated(tp, _reader(args[0]))
    if origin in (typing.Union, types.UnionType):
        return _union(tp, tuple(_reader(a) for a in args if a is not type(None)), type(None) in args)
    if origin is tuple:
        return _sequence(tp, _reader(args[0] if args else Any))
    if origin is dict:
        return _mapping(tp, _reader(args[1] if len(args) == 2 else Any))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass(tp)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp
    if tp is float:
        return _float
    if isinstance(tp, type) and tp is not type(None):
        return _instance(tp)
    return _none(tp)


def _same(data: Any) -> Any:
    return data


def _annotated(tp: Any, inner: Reader) -> Reader:
    def read(data: Any) -> Any:
        value = inner(data)
        for bounds in tp.__metadata__:
            if not bounds.low <= value <= bounds.high:
                raise ValueError(f"{value} is outside {bounds.low}..{bounds.high}")
        return value
    return read


def _union(tp: Any, readers: tuple[Reader, ...], optional: bool) -> Reader:
    def read(data: Any) -> Any:
        if data is None and optional:
            return None
        errors = []
        for reader in readers:
            try:
                return reader(data)
            except (ValueError, TypeError) as exc:
                errors.append(str(exc))
        raise ValueError("; ".join(errors) if len(errors) == 1 else f"no type of {tp} fits {data!r:.80}: {errors}")
    return read


def _sequence(tp: Any, item: Reader) -> Reader:
    def read(data: Any) -> tuple[Any, ...]:
        _require(data, list, tp)
        return tuple(item(v) for v in data)
    return read


def _mapping(tp: Any, value: Reader) -> Reader:
    def read(data: Any) -> dict[Any, Any]:
        _require(data, dict, tp)
        return {k: value(v) for k, v in data.items()}
    return read


def _dataclass(tp: type) -> Reader:
    names = _field_names(tp) or ()
    fields: list[tuple[str, Reader]] = []  # filled on first use: a dataclass may name itself in its fields

    def read(data: Any) -> Any:
        _require(data, dict, tp)
        missing = [n for n in names if n not in data]
        if missing or len(data) != len(names):
            unknown = sorted(k for k in data if k not in names)
            said = [f"missing {', '.join(missing)}" if missing else "",
                    f"unknown {', '.join(unknown)}" if unknown else ""]
            raise ValueError(f"{tp.__name__}: {'; '.join(s for s in said if s)}")
        if not fields:
            hints = _hints(tp)
            fields.extend((name, _reader(hints[name])) for name in names)
        kwargs = {}
        for name, reader in fields:
            try:
                kwargs[name] = reader(data[name])
            except ValueError as exc:
                raise ValueError(f"{tp.__name__}.{name}: {exc}") from None
        return tp(**kwargs)
    return read


def _float(data: Any) -> float:
    if isinstance(data, int | float) and not isinstance(data, bool):
        return float(data)
    raise ValueError(f"expected float, got {type(data).__name__}")


def _instance(tp: type) -> Reader:
    def read(data: Any) -> Any:
        if not isinstance(data, tp) or (tp is int and isinstance(data, bool)):
            raise ValueError(f"expected {tp.__name__}, got {type(data).__name__}")
        return data
    return read


def _none(tp: Any) -> Reader:
    def read(data: Any) -> None:
        if tp is type(None) and data is None:
            return None
        raise ValueError(f"cannot read {tp} from {data!r:.80}")
    return read


def _require(data: Any, kind: type, tp: Any) -> None:
    if not isinstance(data, kind):
        raise ValueError(f"expected {kind.__name__} for {tp}, got {type(data).__name__}")
