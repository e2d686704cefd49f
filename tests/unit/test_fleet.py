"""`hostaudit fleet`: per-host reports merged into the fleet JSON and HTML."""

from __future__ import annotations

import json
import os
import re
from html import unescape
from html.parser import HTMLParser

import pytest

from hostaudit import fleet
from tests.lab import run_hostaudit

HOSTILE = "<script>alert(1)</script>\x1b[31m"


def report(findings: list[tuple[str, str, str]], escapes: tuple[str, ...] = (), hostname: str = "h") -> dict:
    return {
        "report_version": 1,
        "host": {"hostname": hostname, "docker": "20.10", "kernel": "6.1"}, "collected_at": "2026-01-01T00:00:00",
        "containers": [{"key": f"docker:{n}", "name": n} for n in escapes],
        "findings": [{"check_id": c, "title": c, "severity": sev, "status": "fail" if st == "waived" else st,
                      "waiver": "accepted" if st == "waived" else None,
                      "subject": {"key": "daemon", "kind": "daemon", "name": "daemon"}} for c, sev, st in findings],
        "escapes": [{"subject": {"key": f"docker:{n}", "kind": "container", "name": n}, "verdict": "escapable",
                     "paths": [{"technique": "docker.sock", "evidence": []}]} for n in escapes],
    }


def as_version_2(document: dict) -> dict:
    """A version 1 report as version 2 writes it: each check's title and severity once in the checks table, a
    finding without them (and without a waiver it does not have)."""
    checks = {f["check_id"]: {"title": f["title"], "severity": f["severity"]} for f in document["findings"]}
    findings = [{k: v for k, v in f.items() if k not in ("title", "severity") and (k != "waiver" or v)}
                for f in document["findings"]]
    return document | {"report_version": 2, "checks": checks, "findings": findings}


@pytest.fixture(params=[1, 2], ids=["v1", "v2"])
def reports(tmp_path, request):
    files = {
        "clean": report([("daemon.icc_enabled", "medium", "pass"), ("container.privileged", "critical", "pass")]),
        "bad": report([("daemon.icc_enabled", "medium", "fail"), ("container.privileged", "critical", "fail"),
                       ("container.privileged", "critical", "pass")], escapes=(HOSTILE,)),
        "mild": report([("daemon.icc_enabled", "medium", "fail"), ("container.privileged", "critical", "waived"),
                        ("kernel.x", "high", "unknown")]),
    }
    paths = []
    for name, data in files.items():
        data["host"]["hostname"] = name
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps(data if request.param == 1 else as_version_2(data)))
    paths.append(tmp_path / "lost.json")
    paths[-1].write_text("{not json")
    return paths


def test_hosts_worst_first_with_unreadable_reports_kept_in_error(reports):
    merged = fleet.merge(reports)
    assert [h["name"] for h in merged["hosts"]] == ["lost", "bad", "mild", "clean"]
    assert merged["hosts"][0]["error"].startswith("lost.json")
    assert merged["summary"] == {"hosts": 4, "hosts_in_error": 1, "hosts_failing": 2, "escapable_containers": 1,
                                 "engines": 0, "engines_failing": 0}


def test_matrix_cell_is_the_worst_result_over_subjects(reports):
    merged = fleet.merge(reports)
    assert merged["matrix"]["bad"]["container.privileged"] == "fail"
    assert merged["matrix"]["mild"]["container.privileged"] == "waived"
    assert merged["matrix"]["mild"]["kernel.x"] == "unknown"
    assert merged["matrix"]["clean"] == {"daemon.icc_enabled": "pass", "container.privileged": "pass"}
    assert [c["id"] for c in merged["checks"]] == ["container.privileged", "kernel.x", "daemon.icc_enabled"]
    assert {c["id"]: c["failing_hosts"] for c in merged["checks"]}["daemon.icc_enabled"] == 2
    failing = {h["name"]: {s: n for s, n in h["failing"].items() if n} for h in merged["hosts"]}
    assert failing == {"lost": {}, "bad": {"critical": 1, "medium": 1}, "mild": {"medium": 1}, "clean": {}}, \
        "a waived failure is not counted failing"


class _Page(HTMLParser):
    """The tags of a page and the text of each script element."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "script":
            self.scripts.append("")

    def handle_data(self, data):
        if self.tags and self.tags[-1] == "script":
            self.scripts[-1] += data


def test_html_carries_hostile_names_as_inert_data_and_loads_nothing(reports):
    page = fleet.render_html(fleet.merge(reports))
    parsed = _Page()
    parsed.feed(page)
    assert parsed.tags.count("script") == 2 and "img" not in parsed.tags  # the JSON data and the page's script
    data = json.loads(parsed.scripts[0])
    (bad,) = [h for h in data["hosts"] if h[0] == "bad"]
    assert bad[9][0][0] == "<script>alert(1)</script>\\x1b[31m", "the name as data, control characters visible"
    assert "</script>" not in parsed.scripts[0] and "not audited" not in parsed.scripts[0]
    assert not re.search(r"(src|href)=\"?https?:", page)
    csp = unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1))
    assert re.fullmatch(r"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-[A-Za-z0-9+/=]+'", csp)


def test_cli_writes_json_and_html(tmp_path, reports):
    done = run_hostaudit("fleet", *map(str, reports), "--html", str(tmp_path / "f.html"), "--json",
                         str(tmp_path / "f.json"), check_codes=(1,))
    assert "1 not audited" in done.stderr and "not audited: lost: lost.json: not JSON" in done.stderr
    assert json.loads((tmp_path / "f.json").read_text())["hosts"][1]["name"] == "bad"
    assert (tmp_path / "f.html").stat().st_mode & 0o777 == 0o600


def test_cli_exits_0_when_every_host_is_audited(tmp_path, reports):
    run_hostaudit("fleet", *map(str, reports[:3]), "--json", str(tmp_path / "f.json"), check_codes=(0,))


def test_hosts_without_a_report_are_listed_not_audited(reports):
    merged = fleet.merge(reports[:3], {"node-down": "unreachable: ssh timed out"})
    down = next(h for h in merged["hosts"] if h["name"] == "node-down")
    assert down["error"] == "unreachable: ssh timed out" and merged["hosts"][0] is down
    assert "node-down" not in merged["matrix"]


def test_a_host_whose_docker_endpoint_could_not_be_read_is_not_audited(tmp_path):
    data = report([("daemon.icc_enabled", "medium", "pass")], hostname="wrong-socket")
    data["host"]["docker_endpoint"] = "unix:///nowhere.sock"
    data["collectors"] = {"docker_daemon": {"state": "skipped", "message": "docker: no socket at unix:///nowhere.sock"}}
    (tmp_path / "w.json").write_text(json.dumps(data))
    merged = fleet.merge([tmp_path / "w.json"])
    assert merged["hosts"][0]["error"] == ("the Docker endpoint could not be read: docker: no socket at "
                                           "unix:///nowhere.sock")
    assert merged["summary"]["hosts_in_error"] == 1 and merged["matrix"] == {}


def test_duplicate_host_names_are_kept_apart(tmp_path):
    paths = []
    for name, status in (("a", "fail"), ("b", "pass")):
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps(report([("daemon.icc_enabled", "medium", status)], hostname="same")))
    merged = fleet.merge(paths)
    assert merged["matrix"] == {"same (a)": {"daemon.icc_enabled": "fail"}, "same (b)": {"daemon.icc_enabled": "pass"}}
    assert merged["checks"][0]["failing_hosts"] == 1


DEEP: list = []
for _ in range(70):
    DEEP = [DEEP]


@pytest.mark.parametrize(("content", "reason"), [
    ({"findings": []}, "not a hostaudit JSON report (no report_version and findings)"),
    ({"report_version": 2, "findings": []}, "report_version 2 without a checks table"),
    ({"report_version": 2, "checks": {}, "findings": [{"check_id": 5, "status": "fail"}]},
     "findings[0] has no check_id string"),
    ({"report_version": 2, "checks": {}, "findings": [{"check_id": "x", "status": "exploded"}]},
     "findings[0] has an unknown status"),
    ({"report_version": 2, "checks": {}, "findings": [{"check_id": "x", "status": "fail"}, {"check_id": ["x"]}]},
     "findings[1] has no check_id string"),
    ({"report_version": 2, "checks": {}, "findings": [{"check_id": "x", "status": ["fail"]}]},
     "findings[0] has an unknown status"),
    ({"report_version": 2, "checks": {}, "findings": [{"check_id": "x", "status": "fail"}, "x"]},
     "findings[1] has no check_id string"),
    ({"report_version": 2, "checks": {"x": {"title": 5}}, "findings": [{"check_id": "x", "status": "fail"}]},
     "the metadata of x.title is not a string"),
    ({"report_version": 1, "findings": [], "host": ["not", "a", "dict"]}, "host is not an object"),
    ({"report_version": 1, "findings": [], "host": {"hostname": {"x": 1}}}, "host.hostname is not a string"),
    ({"report_version": 1, "findings": [], "escapes": [7]}, "escapes[0] is not a verdict"),
    ({"report_version": 1, "findings": [], "notes": DEEP}, "nested deeper than 32 levels"),
])
def test_an_invalid_report_is_one_line_not_a_traceback(tmp_path, content, reason):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(content))
    done = run_hostaudit("fleet", str(path), check_codes=(1,))
    assert f"not audited: bad: bad.json: {reason}" in done.stderr and "Traceback" not in done.stderr


def test_a_deeply_nested_report_does_not_crash(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100000 + "]" * 100000)
    done = run_hostaudit("fleet", str(path), check_codes=(1,))
    assert "not audited: deep: deep.json: nested too deeply" in done.stderr and "Traceback" not in done.stderr


def test_html_page_data_has_a_cell_per_host_and_check(reports):
    merged = fleet.merge(reports)
    data = fleet.page_data(merged)
    columns = [c[0] for c in data["checks"]]
    for host in data["hosts"]:
        if host[1] is None:  # audited: one letter per check, decoded by the page's own table
            cells = {c: data["cells"].get(letter, "") for c, letter in zip(columns, host[8], strict=True)}
            assert {c: v for c, v in cells.items() if v} == merged["matrix"][host[0]]
        else:
            assert host[8] is None and host[1].startswith("lost.json")


def many_reports(tmp_path, count: int) -> list:
    """`count` version 2 reports, each failing a different mix of checks (so every host's row differs)."""
    paths = []
    for index in range(count):
        findings = [(f"container.c{check}", ("critical", "high", "low")[check % 3],
                     ("fail", "pass", "unknown", "waived")[(index + check) % 4]) for check in range(6)]
        paths.append(tmp_path / f"host-{index:02d}.json")
        paths[-1].write_text(json.dumps(as_version_2(report(findings, hostname=f"host-{index:02d}"))))
    return paths


def test_reports_read_by_several_processes_merge_as_in_one(tmp_path, monkeypatch):
    paths = many_reports(tmp_path, 12)
    assert fleet._workers(len(paths)) > 1 or (os.cpu_count() or 1) == 1
    in_processes = fleet.merge(paths)
    monkeypatch.setattr(fleet, "MAX_WORKERS", 1)
    in_one = fleet.merge(paths)
    for merged in (in_processes, in_one):
        merged.pop("generated_at")
    assert json.dumps(in_processes) == json.dumps(in_one)  # the same document, key order included


_real_host_entry = fleet.host_entry


def _dies_on_host_03(path):
    if path.name == "host-03.json":
        os._exit(9)  # as a worker killed for memory would
    return _real_host_entry(path)


def test_a_reader_process_that_dies_leaves_its_host_not_audited(tmp_path, monkeypatch):
    if fleet._workers(12) == 1:
        pytest.skip("one CPU: no reader processes")
    monkeypatch.setattr(fleet, "host_entry", _dies_on_host_03)
    merged = fleet.merge(many_reports(tmp_path, 12))
    errors = {h["name"]: h["error"] for h in merged["hosts"] if h["error"]}
    assert errors["host-03"].startswith("host-03.json: the process reading it ended")
    assert all("\n" not in e for e in errors.values()) and len(merged["hosts"]) == 12


def test_hostile_names_in_reports_reach_neither_the_json_nor_the_terminal(tmp_path):
    """A report is another host's file: a hostname or a collector message with a lone surrogate (which no UTF-8
    writer accepts: this was a traceback), bidi marks, terminal escapes or megabytes ends up bounded, escaped and
    strict in the fleet JSON, and shown inert on stderr."""
    evil = "evil\ud800\u202e\x1b]52;c;ZXZpbA==\x07\x1b[2J" + "x" * 10_000
    audited = report([("daemon.icc_enabled", "medium", "fail")], hostname=evil)
    blind = report([], hostname=evil + "-blind")
    blind["collectors"] = {"docker_daemon": {"state": "error", "message": "\x1b[2Jgone\u202e"}}
    paths = []
    for index, data in enumerate((audited, as_version_2(audited), blind)):
        paths.append(tmp_path / f"r{index}.json")
        paths[-1].write_text(json.dumps(data))
    done = run_hostaudit("fleet", *map(str, paths), "--json", str(tmp_path / "f.json"), check_codes=(1,))
    assert "Traceback" not in done.stderr and "\x1b" not in done.stderr and "\u202e" not in done.stderr
    assert "not audited: evil" in done.stderr
    text = (tmp_path / "f.json").read_text(encoding="utf-8")
    assert "\x1b" not in text and "\u202e" not in text and "\\u202e" in text
    names = [host["name"] for host in json.loads(text)["hosts"]]
    assert all(len(name) <= 4096 and "\ufffd" in name for name in names)
