"""Every printed field passes one function of this module, one per sink, so no report value can act on a reader.

Report values come from containers and from files of other hosts: they may hold ANSI/OSC escapes (clear the screen,
set the clipboard, hide a hyperlink), bidi overrides that reorder what a reader sees, characters a format cannot
carry, lone surrogates that no UTF-8 writer accepts, non-finite numbers that are not JSON, or hundreds of megabytes.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable
from typing import Any

from hostaudit.serde import json_key, to_jsonable

MAX_FIELD = 4096  # characters of one printed value
_SURROGATE = re.compile("[\ud800-\udfff]")
# bidi embeddings, overrides, isolates and marks (Unicode UAX #9): shown as <U+XXXX>, never applied
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # keeps tab, newline, return
# characters XML 1.0 cannot carry at all, even escaped
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def bounded(text: str, limit: int = MAX_FIELD) -> str:
    """`text`, or its start and a digest of the whole when longer than `limit` (distinct values stay distinct)."""
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    suffix = f"…[{len(text)} chars, sha256 {digest}]"
    return text[:max(0, limit - len(suffix))] + suffix


def _common(value: object, limit: int = MAX_FIELD) -> str:
    text = bounded(str(value), limit)
    text = _SURROGATE.sub("\ufffd", text)
    return _BIDI.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


def terminal(value: object, limit: int = MAX_FIELD) -> str:
    """For a terminal: every control character (ESC, BEL, newline, C1) shown as `?`."""
    return _CONTROL.sub("?", _common(value, limit))


def csv_cell(value: object) -> str:
    """For a spreadsheet cell: controls but tab and line breaks shown as `?`; a formula start gets a leading `'`."""
    text = "" if value is None else _CONTROL_BUT_LINES.sub("?", _common(value))
    return "'" + text if text.startswith(_FORMULA_START) else text


def xml_text(value: object) -> str:
    """For XML text or an attribute: characters XML forbids written as visible `\\xNN`."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", _common(value))


def html_text(value: object) -> str:
    """For HTML (escaped afterwards by the template engine): controls but tab and line breaks shown as `\\xNN`."""
    return _CONTROL_BUT_LINES.sub(lambda m: f"\\x{ord(m.group()):02x}", _common(value))


def html_data(value: Any) -> Any:
    """For JSON data a page's script shows as text: `json_value` bounds it, then every string (keys too) goes through
    `html_text`, so the script shows controls and bidi marks as visible escapes."""
    return _html_all(json_value(value))


def _html_all(value: Any) -> Any:
    if isinstance(value, str):
        return html_text(value)
    if isinstance(value, dict):
        return {html_text(str(k)): _html_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_html_all(v) for v in value]
    return value


def script_json(value: Any) -> str:
    """JSON for a `<script type="application/json">` element: `<`, `>` and `&` escaped, so no text in it can close
    the element or open a comment; JSON.parse reads the escapes back."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def prometheus_label(value: object) -> str:
    """For a label value of the Prometheus text format: backslash, double quote and newline escaped, other
    controls shown as `?`."""
    text = _CONTROL_BUT_LINES.sub("?", _common(value)).replace("\t", "?").replace("\r", "?")
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def bidi_escaped(encoded: str) -> str:
    """Encoded JSON with bidi controls written as `\\uXXXX` escapes: the same data to a parser, but `cat` and an
    editor show the text in its real order (outside strings JSON has no such characters)."""
    if encoded.isascii():
        return encoded
    return _BIDI.sub(lambda m: f"\\u{ord(m.group()):04x}", encoded)


def json_value(value: Any, depth: int = 0) -> Any:
    """A JSON-safe copy: strings bounded and without lone surrogates, non-finite floats as their name ("inf",
    "nan"), so the output is strict JSON (RFC 8259) that every parser reads."""
    if isinstance(value, str):
        if len(value) <= MAX_FIELD and value.isascii():  # most values: nothing to bound or replace
            return value
        return _SURROGATE.sub("\ufffd", bounded(value))
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if depth > 64:
        return "…(nested too deep)"
    if isinstance(value, dict):
        return {json_value(json_key(k), depth + 1): json_value(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v, depth + 1) for v in value]
    return value


def json_text(value: Any, encoder: json.JSONEncoder) -> str:
    """`bidi_escaped(encoder.encode(json_value(to_jsonable(value))))`, for an encoder whose `default` is
    `serde.to_jsonable` (see `json_texts`)."""
    return bidi_escaped(json_texts((value,), encoder)[0])


def json_texts(values: Iterable[Any], encoder: json.JSONEncoder) -> list[str]:
    """`encoder.encode(json_value(to_jsonable(v)))` for each value (bidi marks not yet escaped: `bidi_escaped` the
    text they end up in), for an encoder whose `default` is `serde.to_jsonable`, without the copy when a value's plain
    text shows nothing it would change: no text longer than one field (so no string is), no more brackets than the
    depth limit, no lone surrogate (only non-ASCII text is searched) and no non-finite number (the encoder
    raises)."""
    texts = []
    for value in values:
        try:
            text = encoder.encode(value)
        except (TypeError, ValueError):
            text = None
        if text is None or len(text) > MAX_FIELD or text.count("{") + text.count("[") > 64 or (
                not text.isascii() and _SURROGATE.search(text)):
            text = encoder.encode(json_value(to_jsonable(value)))
        texts.append(text)
    return texts
