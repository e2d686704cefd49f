"""The JSON report and its shipped JSON Schema: every report we produce validates, and the schema has teeth."""

from __future__ import annotations

import functools
import json
import subprocess
from importlib import resources

import jsonschema
import pytest

from hostaudit import engine, sanitize
from hostaudit.model import Status, Subject
from hostaudit.renderers import json as json_renderer
from hostaudit.serde import to_jsonable
from tests.unit.conftest import load

from .conftest import HOSTILE_NAME


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((resources.files("hostaudit") / "schemas" / "report.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def errors(validator, document) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def test_sample_report_validates_and_keeps_hostile_strings_verbatim(sample, validator, golden):
    text = json_renderer.render(sample)
    document = json.loads(text)
    assert errors(validator, document) == []
    names = {f["subject"]["name"] for f in document["findings"]}
    assert HOSTILE_NAME in names
    assert document["findings"][0]["check_id"] == "container.privileged"
    assert document["checks"]["container.privileged"]["title"] == "Container runs privileged"
    assert document["duration_s"] == 2.5
    assert document["resolved"] == ["container.host_network|docker:old-net"]
    golden("sample.json", text)


def test_report_of_recorded_lab_snapshot_validates(validator):
    document = json_renderer.document(engine.audit(load("lab/planted.json")))
    assert errors(validator, document) == []
    assert document["findings"], "the lab snapshot must produce findings"


@pytest.mark.parametrize("breakage", [
    lambda d: d["findings"][0].pop("subject"),
    lambda d: d["findings"][0].update(title="metadata belongs in checks"),
    lambda d: d["checks"]["container.privileged"].pop("remediation"),
    lambda d: d["checks"]["container.privileged"].update(severity="urgent"),
    lambda d: d.pop("checks"),
    lambda d: d["findings"][0].update(status="failed"),
    lambda d: d.update(report_version=1),
    lambda d: d["summary"]["failing_by_severity"].pop("critical"),
    lambda d: d["findings"][0].update(unexpected="field"),
    lambda d: d["escapes"][0].update(verdict="maybe"),
])
def test_schema_rejects_a_broken_report(sample, validator, breakage):
    document = json_renderer.document(sample)
    breakage(document)
    assert errors(validator, document)


def test_schema_command_prints_the_shipped_schema(validator):
    done = subprocess.run(["hostaudit", "schema"], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == validator.schema


def test_pods_and_their_level_validate(sample, validator):
    document = json.loads(json_renderer.render(sample))
    pods = {p["name"]: p for p in document["pods"]}
    assert pods["risky"]["pss"]["level"] == "privileged"
    assert pods["risky"]["pss"]["failing"][0] == {"control": "hostNamespaces", "level": "baseline",
                                                  "status": "fail", "container": "",
                                                  "evidence": "sandbox shares the host's pid namespace"}
    document["pods"][0]["pss"]["level"] = "mostly-fine"
    assert errors(validator, document)


@pytest.mark.parametrize("value", [
    {"plain": "text", "n": 1, "ok": True, "none": None, "list": [1, "two"]},
    {"long": "x" * 5000},
    {"nested": {"deeper": ["y" * 4100]}},
    {"surrogate": "a\ud800b"},
    {"\udfffkey": 1},
    {"nan": float("nan"), "inf": float("-inf")},
    {"int key": {1: "one"}, "word keys": {True: "t", False: "f", None: "n"}, "float key": {1.5: "x"}},
    {"tuple key": {("a", 1): "pair"}},
    {"deep": functools.reduce(lambda inner, _: {"d": inner}, range(80), {})},
    {"wide": [[[]] for _ in range(70)]},
    {"status": Status.FAIL, "subject": Subject("k", "container", "n\u202e"), "set": frozenset({"a"}),
     "tuple": ("a", 1)},
    {"dataclass": Subject("k", "container", "z" * 5000), "and nan": float("nan")},
    {"bidi": "\u202eevil", "ascii": "plain"},
])
def test_fast_json_text_equals_the_sanitized_copy(value):
    """The fast path (the encoder converts dataclasses and enums itself) writes what converting and sanitizing
    first writes, bidi marks escaped."""
    encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=to_jsonable)
    expected = sanitize.bidi_escaped(encoder.encode(sanitize.json_value(to_jsonable(value))))
    assert sanitize.json_text(value, encoder) == expected
    assert [sanitize.bidi_escaped(t) for t in sanitize.json_texts([value, {"x": 1}, value], encoder)] == \
        [expected, '{"x":1}', expected]


def test_the_streamed_text_says_what_the_document_says(sample):
    """Two ways to a finding's JSON (the document's, one value at a time, and the stream's, whose check ids and
    subjects are encoded once and shared): the same findings, hostile ones and a whole lab's included."""
    lab = engine.audit(load("lab/planted.json"))
    for report in (sample, lab):
        assert json.loads(json_renderer.render(report)) == json.loads(json.dumps(json_renderer.document(report)))
