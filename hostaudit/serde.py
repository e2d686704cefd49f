"""Round-trip frozen dataclasses through JSON-ready values, guided by their type hints."""

from __future__ import annotations

import dataclasses
import types
import typing
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
    if tp is Any:
        return data
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        value = from_jsonable(args[0], data)
        for bounds in tp.__metadata__:
            if not bounds.low <= value <= bounds.high:
                raise ValueError(f"{value} is outside {bounds.low}..{bounds.high}")
        return value
    if origin in (typing.Union, types.UnionType):
        if data is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return from_jsonable(arg, data)
            except (ValueError, TypeError) as exc:
                errors.append(str(exc))
        raise ValueError("; ".join(errors) if len(errors) == 1 else f"no type of {tp} fits {data!r:.80}: {errors}")
    if origin is tuple:
        _require(data, list, tp)
        item = args[0] if args else Any
        return tuple(from_jsonable(item, v) for v in data)
    if origin is dict:
        _require(data, dict, tp)
        value_type = args[1] if len(args) == 2 else Any
        return {k: from_jsonable(value_type, v) for k, v in data.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass(tp, data)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp(data)
    if tp is float and isinstance(data, int | float) and not isinstance(data, bool):
        return float(data)
    if isinstance(tp, type) and tp is not type(None):
        if not isinstance(data, tp) or (tp is int and isinstance(data, bool)):
            raise ValueError(f"expected {tp.__name__}, got {type(data).__name__}")
        return data
    if tp is type(None) and data is None:
        return None
    raise ValueError(f"cannot read {tp} from {data!r:.80}")


def _dataclass(tp: type, data: Any) -> Any:
    _require(data, dict, tp)
    names = _field_names(tp) or ()
    missing = [n for n in names if n not in data]
    unknown = sorted(k for k in data if k not in names)
    if missing or unknown:
        said = [f"missing {', '.join(missing)}" if missing else "", f"unknown {', '.join(unknown)}" if unknown else ""]
        raise ValueError(f"{tp.__name__}: {'; '.join(s for s in said if s)}")
    hints = _hints(tp)
    kwargs = {}
    for name in names:
        try:
            kwargs[name] = from_jsonable(hints[name], data[name])
        except ValueError as exc:
            raise ValueError(f"{tp.__name__}.{name}: {exc}") from None
    return tp(**kwargs)


def _require(data: Any, kind: type, tp: Any) -> None:
    if not isinstance(data, kind):
        raise ValueError(f"expected {kind.__name__} for {tp}, got {type(data).__name__}")
