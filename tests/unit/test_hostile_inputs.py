"""Hostile reports, baselines and waivers (files from other hosts or people): each ends in one line and exit 2,
quickly, never a traceback. The command runs in-process through the real CLI entry point (`console.main`)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.conftest import SNAPSHOTS

FACTS = str(SNAPSHOTS / "lab" / "planted.json")
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.function_scoped_fixture])
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=10), inner, max_size=5), max_leaves=30)
FINDING_KEYS = ("check_id", "status", "severity", "subject", "evidence", "waiver", "remediation", "identity",
                "ansible_key")
# report-shaped documents whose every field may have the wrong type
FINDING = st.dictionaries(st.sampled_from(FINDING_KEYS), st.one_of(
    JSON, st.sampled_from(["fail", "pass", "container.privileged", "daemon.icc_enabled"]),
    st.fixed_dictionaries({"key": JSON, "kind": st.sampled_from(["container", "daemon", 1]), "name": JSON})))
REPORT = st.fixed_dictionaries({"report_version": JSON, "findings": st.lists(st.one_of(FINDING, JSON), max_size=4),
                                "containers": st.one_of(JSON, st.lists(st.dictionaries(st.sampled_from(
                                    ["key", "name", "pod", "source", "image"]), JSON), max_size=3))})
RUNNER = """
import sys
from hostaudit import console
sys.argv = ["hostaudit", *sys.argv[1:]]
console.main()
"""


def hostaudit(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", RUNNER, *args], capture_output=True, text=True, timeout=timeout)


def assert_clean_exit(done: subprocess.CompletedProcess, codes: tuple[int, ...] = (2,)) -> None:
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.returncode in codes, done.stderr[-2000:]
    if done.returncode == 2:
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("hostaudit: "), done.stderr[-2000:]


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


HOSTILE_JSON = {
    "deep": '{"findings": ' + deep(100_000) + "}",
    "deep_but_parseable": '{"report_version": 1, "findings": [' + deep(200) + "]}",
    "nan": '{"report_version": 1, "findings": [{"check_id": NaN}]}',
    "list": "[1, 2]",
    "not_utf8": b'{"findings": ["\xff\xfe"]}',
    "findings_of_numbers": '{"report_version": 1, "findings": [1, "x", null]}',
    "subject_is_a_list": '{"report_version": 1, "findings": [{"check_id": "container.privileged", "status": "fail", '
                         '"subject": [1], "evidence": {}}]}',
    "evidence_is_a_string": '{"report_version": 1, "findings": [{"check_id": "container.privileged", "status": '
                            '"fail", "subject": {"kind": "container", "key": 5}, "evidence": "x"}]}',
    "containers_not_a_list": '{"report_version": 1, "findings": [], "containers": {"a": 1}}',
    "container_pod_is_a_dict": '{"report_version": 1, "findings": [{"check_id": "container.privileged", "status": '
                               '"fail", "subject": {"kind": "container", "key": "k"}, "evidence": {}}], '
                               '"containers": [{"key": "k", "pod": {"x": 1}, "name": 3}]}',
}


def _write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


@pytest.mark.parametrize("name", sorted(HOSTILE_JSON))
def test_remediate_from_a_hostile_report_exits_2(tmp_path, name):
    started = time.monotonic()
    done = hostaudit("remediate", "--from", str(_write(tmp_path / "r.json", HOSTILE_JSON[name])),
                     "--out", str(tmp_path / "fix.yml"))
    assert_clean_exit(done)
    assert time.monotonic() - started < 20


@pytest.mark.parametrize("name", sorted(HOSTILE_JSON))
def test_audit_with_a_hostile_baseline_exits_2_or_runs(tmp_path, name):
    done = hostaudit("audit", "--facts", FACTS, "--format", "json", "--output", str(tmp_path / "out.json"),
                     "--baseline", str(_write(tmp_path / "b.json", HOSTILE_JSON[name])))
    malformed = ("deep", "deep_but_parseable", "nan", "list", "not_utf8")  # the rest may be usable baselines
    assert_clean_exit(done, (2,) if name in malformed else (0, 1, 2))


HOSTILE_TOML = {
    "deep_array": "[[waiver]]\ncheck = " + "[" * 50_000 + "]" * 50_000 + "\n",
    "deep_table": "x = " + "{a = " * 5_000 + "1" + "}" * 5_000 + "\n",
    "not_utf8": b"[[waiver]]\ncheck = \"\xff\"\n",
    "wrong_types": "[[waiver]]\ncheck = 1\nsubject = []\nreason = {}\nexpires = 5\n",
    "waiver_not_tables": "waiver = 3\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_TOML))
def test_audit_with_a_hostile_waiver_file_exits_2(tmp_path, name):
    done = hostaudit("audit", "--facts", FACTS, "--output", str(tmp_path / "out.txt"),
                     "--waivers", str(_write(tmp_path / "w.toml", HOSTILE_TOML[name])))
    assert_clean_exit(done)


@FUZZ
@given(document=st.one_of(REPORT, JSON))
def test_fuzzed_reports_never_crash_remediate(tmp_path_factory, document):
    from hostaudit.remediation import PlaybookOptions, load_report, remediate

    path = tmp_path_factory.mktemp("fuzz") / "r.json"
    path.write_text(json.dumps(document))
    try:
        report = load_report(path)
    except ValueError as exc:
        assert "\n" not in str(exc)
        return
    remediate(report, PlaybookOptions())


@FUZZ
@given(document=st.one_of(REPORT, JSON))
def test_fuzzed_baselines_parse_or_raise_value_error(tmp_path_factory, document):
    from hostaudit.baseline import parse
    from hostaudit.inputs import load_json

    path = tmp_path_factory.mktemp("fuzz") / "b.json"
    path.write_text(json.dumps(document))
    try:
        parse(load_json(path, "--baseline"))
    except ValueError as exc:
        assert "\n" not in str(exc)
