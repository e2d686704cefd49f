"""The stored snapshot format: pinned per SCHEMA_VERSION, loaded strictly, every recorded fixture current.

The model's fields and types are pinned in snapshot_schema.txt beside this file. When the model changes, bump
SCHEMA_VERSION in hostaudit/model.py, then run `python -m tests.unit.test_snapshot_schema` to re-pin (it refuses
without a bump) and `python -m tests.record_lab_snapshot` to re-record the fixtures.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import sys
import typing
from enum import Enum
from pathlib import Path

import pytest

from hostaudit import engine, serde
from hostaudit.model import SCHEMA_VERSION, Snapshot

PIN = Path(__file__).with_name("snapshot_schema.txt")
SNAPSHOTS = Path(__file__).parent / "fixtures" / "snapshots"
LAB = SNAPSHOTS / "lab" / "planted.json"
HEADER = re.compile(r"^SCHEMA_VERSION (\d+)$")
PAST = re.compile(r"^# version (\d+) sha256 ([0-9a-f]{64})$")


def model_listing() -> list[str]:
    """Every type a snapshot stores, reachable from Snapshot: one line per dataclass field or enum value."""
    lines: list[str] = []
    seen: set[type] = set()
    pending: list[typing.Any] = [Snapshot]
    while pending:
        tp = pending.pop()
        if isinstance(tp, type) and tp not in seen and (dataclasses.is_dataclass(tp) or issubclass(tp, Enum)):
            seen.add(tp)
            if issubclass(tp, Enum):
                lines += [f"{tp.__name__} = {member.value!r}" for member in tp]
                continue
            hints = typing.get_type_hints(tp, include_extras=True)
            for f in dataclasses.fields(tp):
                lines.append(f"{tp.__name__}.{f.name}: {_type_text(hints[f.name])}")
                pending.append(hints[f.name])
        pending.extend(typing.get_args(tp))
    return sorted(lines)


def _type_text(tp: typing.Any) -> str:
    text = repr(tp).replace("typing.", "").replace("hostaudit.model.", "")
    return re.sub(r"<(?:class|enum) '([\w.]+)'>", lambda m: m.group(1).rpartition(".")[2], text)


def digest(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def read_pin() -> tuple[int, list[str], dict[int, str]]:
    """The pinned version, its listing, and the digests of the earlier versions."""
    text = PIN.read_text().splitlines()
    version = int(HEADER.match(text[0]).group(1))
    past = {int(m.group(1)): m.group(2) for m in map(PAST.match, text) if m}
    listing = [line for line in text[1:] if line and not line.startswith("#")]
    return version, listing, past


def write_pin() -> None:
    """Re-pin the current model; refused when the model changed but SCHEMA_VERSION did not."""
    version, listing, past = read_pin()
    current = model_listing()
    if current == listing:
        print("snapshot model unchanged")
        return
    if version == SCHEMA_VERSION:
        sys.exit(f"the snapshot model changed: bump SCHEMA_VERSION (now {SCHEMA_VERSION}) in hostaudit/model.py first")
    past[version] = digest(listing)
    history = [f"# version {v} sha256 {d}" for v, d in sorted(past.items())]
    PIN.write_text("\n".join([f"SCHEMA_VERSION {SCHEMA_VERSION}", *history, *current]) + "\n")
    print(f"pinned schema {SCHEMA_VERSION} in {PIN}")


def test_model_matches_the_pin_for_this_schema_version():
    version, listing, past = read_pin()
    current = model_listing()
    assert version == SCHEMA_VERSION, "SCHEMA_VERSION changed: re-pin with `python -m tests.unit.test_snapshot_schema`"
    assert current == listing, ("the snapshot model changed without a SCHEMA_VERSION bump: bump it in "
                                "hostaudit/model.py and re-pin with `python -m tests.unit.test_snapshot_schema`")
    assert digest(current) not in past.values(), "this model was already pinned under an earlier version"
    assert all(v < SCHEMA_VERSION for v in past), "SCHEMA_VERSION went backwards"


@pytest.mark.parametrize("path", sorted(SNAPSHOTS.rglob("*.json")), ids=lambda p: str(p.relative_to(SNAPSHOTS)))
def test_every_fixture_loads_under_the_current_model(path):
    raw = json.loads(path.read_text())
    assert raw["schema_version"] == SCHEMA_VERSION, f"re-record {path.name}: `python -m tests.record_lab_snapshot`"
    snapshot = engine.load_snapshot(path)
    assert engine.snapshot_to_json(snapshot) == json.dumps(raw, indent=1, sort_keys=True)


# ---------------------------------------------------------------- strict loading


def _write(tmp_path: Path, data: typing.Any) -> Path:
    path = tmp_path / "facts.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def _lab() -> dict:
    return json.loads(LAB.read_text())


def _first_process(data: dict) -> dict:
    return next(iter(data["runtime"].values()))


@pytest.mark.parametrize("version", [SCHEMA_VERSION - 1, SCHEMA_VERSION + 1])
def test_another_schema_version_is_refused_with_one_line(tmp_path, version):
    data = {**_lab(), "schema_version": version}
    with pytest.raises(ValueError, match=rf"snapshot schema {version}; this hostaudit reads {SCHEMA_VERSION}: "
                                         "collect again$"):
        engine.load_snapshot(_write(tmp_path, data))


def test_a_missing_field_is_refused_not_defaulted(tmp_path):
    """The stale v1 fixture lacked the sudoers facts, and the old loader defaulted them to "no grants": a pass."""
    data = _lab()
    del data["host"]["sudo_grants"], data["host"]["sudoers_unreadable"]
    with pytest.raises(ValueError, match=r"HostFacts: missing sudo_grants, sudoers_unreadable$"):
        engine.load_snapshot(_write(tmp_path, data))


def test_a_missing_optional_section_is_refused(tmp_path):
    data = _lab()
    del data["kubelet"]
    with pytest.raises(ValueError, match="Snapshot: missing kubelet"):
        engine.load_snapshot(_write(tmp_path, data))


def test_an_unknown_field_is_refused(tmp_path):
    data = _lab()
    data["containers"][0]["from_the_future"] = True
    with pytest.raises(ValueError, match="Container: unknown from_the_future"):
        engine.load_snapshot(_write(tmp_path, data))


def test_a_wrong_type_is_refused(tmp_path):
    data = _lab()
    data["containers"][0]["privileged"] = "yes"
    with pytest.raises(ValueError, match=r"Container\.privileged: expected bool"):
        engine.load_snapshot(_write(tmp_path, data))


@pytest.mark.parametrize(("field", "value"), [("cap_eff", -1), ("cap_bnd", 2**64), ("pid", -5), ("seccomp_mode", 7)])
def test_process_numbers_out_of_range_are_refused(tmp_path, field, value):
    data = _lab()
    _first_process(data)[field] = value
    with pytest.raises(ValueError, match="outside"):
        engine.load_snapshot(_write(tmp_path, data))


def test_the_largest_capability_mask_is_accepted(tmp_path):
    data = _lab()
    _first_process(data)["cap_bnd"] = 2**64 - 1
    snapshot = engine.load_snapshot(_write(tmp_path, data))
    assert 2**64 - 1 in {p.cap_bnd for p in snapshot.runtime.values()}


def test_a_tcp_port_out_of_range_is_refused(tmp_path):
    data = _lab()
    data["docker_daemon"]["tcp_listeners"] = [{"address": "0.0.0.0", "port": 70000, "tls": False,
                                               "tls_verify": False, "source": "argv"}]
    with pytest.raises(ValueError, match=r"TcpListener\.port: 70000 is outside 0\.\.65535"):
        engine.load_snapshot(_write(tmp_path, data))


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(("payload", "message"), [
    ("x" * (serde.MAX_STRING + 1), "a string of"),
    (_nested(serde.MAX_DEPTH), "nested deeper"),
    (list(range(serde.MAX_ITEMS + 1)), "entries"),
    (2**70, "an integer outside"),
])
def test_document_bounds_apply_everywhere_even_in_free_form_facts(tmp_path, payload, message):
    data = _lab()
    data["docker_daemon"]["info"] = {"Hostile": payload}
    with pytest.raises(ValueError, match=message):
        engine.load_snapshot(_write(tmp_path, data))


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_refused(tmp_path, constant):
    text = LAB.read_text().replace('"duration_s": ', f'"duration_s": {constant}, "x": ', 1)
    with pytest.raises(ValueError, match="not a number a snapshot holds"):
        engine.load_snapshot(_write(tmp_path, text))


def test_an_oversized_file_is_refused_before_parsing(tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "MAX_SNAPSHOT_BYTES", 1000)
    with pytest.raises(ValueError, match="larger than"):
        engine.load_snapshot(_write(tmp_path, _lab()))


if __name__ == "__main__":
    write_pin()
