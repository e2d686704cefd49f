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


def to_jsonable(value: Any) -> Any:
    """Turn dataclasses, enums and tuples into dicts, strings and lists."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    names = _field_names(kind)
    if names is not None:
        return {name: to_jsonable(getattr(value, name)) for name in names}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_jsonable(tp: Any, data: Any) -> Any:
    """Rebuild a value of type `tp` from what `to_jsonable` produced; raises ValueError on a mismatch."""
    if tp is Any:
        return data
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if data is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return from_jsonable(arg, data)
            except (ValueError, TypeError) as exc:
                errors.append(str(exc))
        raise ValueError(f"no type of {tp} fits {data!r:.80}: {errors}")
    if origin is tuple:
        _require(data, list, tp)
        item = args[0] if args else Any
        return tuple(from_jsonable(item, v) for v in data)
    if origin is dict:
        _require(data, dict, tp)
        value_type = args[1] if len(args) == 2 else Any
        return {k: from_jsonable(value_type, v) for k, v in data.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        _require(data, dict, tp)
        hints = _hints(tp)
        kwargs = {f.name: from_jsonable(hints[f.name], data[f.name]) for f in dataclasses.fields(tp) if f.name in data}
        return tp(**kwargs)
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


def _require(data: Any, kind: type, tp: Any) -> None:
    if not isinstance(data, kind):
        raise ValueError(f"expected {kind.__name__} for {tp}, got {type(data).__name__}")
