"""CSV of findings: hostile strings survive quoting, and nothing becomes a spreadsheet formula."""

from __future__ import annotations

import csv
import io
import json

from hostaudit.renderers import csv as csv_renderer

from .conftest import FORMULA_NAME, HOSTILE_LABEL, HOSTILE_NAME


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_one_row_per_finding_round_trips(sample, golden):
    text = csv_renderer.render(sample)
    read = rows(text)
    assert [r["identity"] for r in read] == [f.identity for f in sample.findings]
    hostile = read[0]
    assert hostile["subject_name"] == HOSTILE_NAME
    assert json.loads(hostile["evidence"])["labels"]["com.example.note"] == HOSTILE_LABEL  # newline inside a cell
    golden("sample.csv", text)


def test_formula_cells_are_neutralised(sample):
    read = rows(csv_renderer.render(sample))
    formula = next(r for r in read if r["check_id"] == "container.runs_as_root")
    assert formula["subject_name"] == "'" + FORMULA_NAME
    assert formula["subject_key"] == "docker:" + FORMULA_NAME  # does not start a formula: left alone
    for row in read:
        assert not any(value.startswith(("=", "+", "-", "@")) for value in row.values()), row


def test_cell_prefixes_every_formula_start():
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert csv_renderer.cell(start + "1+1") == "'" + start + "1+1"
    assert csv_renderer.cell("plain") == "plain"
    assert csv_renderer.cell(None) == ""


def test_pod_findings_carry_their_pods_security_level(sample):
    rows = list(csv.DictReader(io.StringIO(csv_renderer.render(sample))))
    levels = {(r["subject_key"], r["pod"], r["pod_security_level"]) for r in rows if r["pod"]}
    assert ("k8s:shop/risky/app", "shop/risky", "privileged") in levels
    assert ("k8s:shop/locked/web", "shop/locked", "baseline") in levels
