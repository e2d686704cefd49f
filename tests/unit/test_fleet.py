"""`hostaudit fleet`: per-host reports merged into the fleet JSON and HTML."""

from __future__ import annotations

import json
import re
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


@pytest.fixture()
def reports(tmp_path):
    files = {
        "clean": report([("daemon.icc_enabled", "medium", "pass"), ("container.privileged", "critical", "pass")]),
        "bad": report([("daemon.icc_enabled", "medium", "fail"), ("container.privileged", "critical", "fail"),
                       ("container.privileged", "critical", "pass")], escapes=(HOSTILE,)),
        "mild": report([("daemon.icc_enabled", "medium", "fail"), ("container.privileged", "critical", "waived"),
                        ("kernel.x", "high", "unknown")]),
    }
    paths = []
    for name, data in files.items():
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps(data))
    paths.append(tmp_path / "lost.json")
    paths[-1].write_text("{not json")
    return paths


def test_hosts_worst_first_with_unreadable_reports_kept_in_error(reports):
    merged = fleet.merge(reports)
    assert [h["name"] for h in merged["hosts"]] == ["lost", "bad", "mild", "clean"]
    assert merged["hosts"][0]["error"].startswith("lost.json")
    assert merged["summary"] == {"hosts": 4, "hosts_in_error": 1, "hosts_failing": 2, "escapable_containers": 1}


def test_matrix_cell_is_the_worst_result_over_subjects(reports):
    merged = fleet.merge(reports)
    assert merged["matrix"]["bad"]["container.privileged"] == "fail"
    assert merged["matrix"]["mild"]["container.privileged"] == "waived"
    assert merged["matrix"]["mild"]["kernel.x"] == "unknown"
    assert merged["matrix"]["clean"] == {"daemon.icc_enabled": "pass", "container.privileged": "pass"}
    assert [c["id"] for c in merged["checks"]] == ["container.privileged", "kernel.x", "daemon.icc_enabled"]
    assert {c["id"]: c["failing_hosts"] for c in merged["checks"]}["daemon.icc_enabled"] == 2


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_html_escapes_hostile_names_and_loads_nothing(reports):
    page = fleet.render_html(fleet.merge(reports))
    parsed = _Text()
    parsed.feed(page)
    assert "script" not in parsed.tags
    text = "".join(parsed.text)
    assert "<script>alert(1)</script>\\x1b[31m" in text, "the name is shown as text, control characters visible"
    assert not re.search(r"(src|href)=\"?https?:", page)
    assert "not audited: lost.json" in text


def test_cli_writes_json_and_html(tmp_path, reports):
    done = run_hostaudit("fleet", *map(str, reports), "--html", str(tmp_path / "f.html"), "--json",
                         str(tmp_path / "f.json"), check_codes=(0,))
    assert "1 not audited" in done.stderr
    assert json.loads((tmp_path / "f.json").read_text())["hosts"][1]["name"] == "bad"
    assert (tmp_path / "f.html").stat().st_mode & 0o777 == 0o600
