"""Every printed field of every format is safe for its reader: no terminal escape from `hostaudit_version` or any
other field, no ESC/BEL in CSV, no bidi override applied, no lone surrogate crash, strict JSON, valid XML. The oracles
are the real consumers: the csv module, ElementTree, a strict JSON parser, the HTML parser, UTF-8 encoding."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from hostaudit import renderers
from hostaudit.model import Subject
from hostaudit.sanitize import MAX_FIELD, bounded

ESCAPES = "\x1b[2J\x1b]52;c;ZXZpbA==\x07\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\\x07"
BIDI = "\u202egnp.exe\u2066x\u2069"
SURROGATE = "half\ud800pair"
FORMATS = ("text", "json", "html", "sarif", "junit", "csv", "prometheus")


@pytest.fixture()
def hostile(sample):
    first = sample.findings[0]
    subject = Subject(f"docker:{ESCAPES}{BIDI}{SURROGATE}", "container", f"{ESCAPES}{BIDI}{SURROGATE}")
    finding = dataclasses.replace(first, subject=subject, evidence={"x": ESCAPES + BIDI + SURROGATE,
                                                                    "ratio": float("inf"), "nan": float("nan")},
                                  detail=ESCAPES)
    return dataclasses.replace(sample, hostaudit_version=f"9{ESCAPES}{BIDI}{SURROGATE}",
                               collected_at=f"2026\x1b\x00{SURROGATE}", host={**sample.host, "hostname": ESCAPES},
                               findings=(finding, *sample.findings[1:]))


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_format_crashes_and_none_carries_escapes_bidi_or_surrogates(hostile, fmt):
    text = renderers.render(hostile, fmt)
    text.encode("utf-8")  # a lone surrogate would raise here, as it did in five formats
    assert "\x1b" not in text and "\x07" not in text and "\x00" not in text
    assert "\u202e" not in text and "\u2066" not in text


def test_terminal_shows_the_version_from_a_snapshot_without_its_escapes(hostile):
    text = renderers.render(hostile, "text", color=True)
    first = text.splitlines()[0]
    assert "hostaudit 9?[2J" in first and "<U+202E>" in first


def test_json_is_strict_and_keeps_non_finite_numbers_as_names(hostile):
    text = renderers.render(hostile, "json")

    def refuse(name):
        raise AssertionError(f"bare {name} in JSON output")

    document = json.loads(text, parse_constant=refuse)
    evidence = document["findings"][0]["evidence"]
    assert evidence["ratio"] == "inf" and evidence["nan"] == "nan"
    json.loads(renderers.render(hostile, "sarif"), parse_constant=refuse)


def test_every_json_string_is_bounded(hostile):
    """A container-sized value (plain ASCII, in the findings and in the report's head) is cut to one field."""
    huge = "y" * 10_000
    first = dataclasses.replace(hostile.findings[0], evidence={"big": huge, "nested": [{"deep": huge}]})
    report = dataclasses.replace(hostile, host={**hostile.host, "hostname": huge}, findings=(first,))

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for key, item in value.items():
                yield key
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    for fmt in ("json", "sarif"):
        found = list(strings(json.loads(renderers.render(report, fmt))))
        assert max(map(len, found)) <= MAX_FIELD
        assert sum("sha256" in text for text in found) >= 2, fmt


def test_csv_cells_hold_no_control_characters(hostile):
    rows = list(csv.reader(io.StringIO(renderers.render(hostile, "csv"))))
    assert all(not any(0 < ord(ch) < 32 and ch not in "\t\n\r" for ch in cell) for row in rows for cell in row)


def test_junit_parses_with_the_hostile_collected_at(hostile):
    root = ET.fromstring(renderers.render(hostile, "junit").encode())
    assert all(suite.get("timestamp").startswith("2026\\x1b\\x00") for suite in root.iter("testsuite"))


def test_html_parses_and_shows_bidi_as_code_points(hostile):
    html = renderers.render(hostile, "html")
    HTMLParser().feed(html)
    assert "&lt;U+202E&gt;" in html


def test_huge_names_are_bounded_and_stay_distinct():
    a, b = "x" * 10_000_000 + "a", "x" * 10_000_000 + "b"
    assert len(bounded(a)) <= 4096 and bounded(a) != bounded(b)
