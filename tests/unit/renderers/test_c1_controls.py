"""8-bit controls (C1, U+0080-U+009F: CSI U+009B and OSC U+009D act as ESC [ and ESC ] on many terminals, NEL U+0085
breaks lines) from container-controlled strings never reach HTML, CSV or Prometheus output. The oracle is Unicode's
own category of every output character (`unicodedata.category`), over every C1 code point, through each renderer."""

from __future__ import annotations

import dataclasses
import unicodedata

import pytest

from hostaudit import renderers
from hostaudit.model import CollectorState, CollectorStatus, Subject

C1 = [chr(c) for c in range(0x80, 0xA0)]
LINE_CONTROLS = {"\t", "\n", "\r"}  # the formats' own structure


def test_the_c1_range_is_what_unicode_calls_control():
    assert {unicodedata.category(c) for c in C1} == {"Cc"}
    assert unicodedata.category("\x7f") == "Cc" and unicodedata.category("\xa0") == "Zs"  # the range's neighbours


@pytest.fixture(scope="module")
def c1_report():
    from tests.unit.renderers.conftest import sample_report

    sample = sample_report()
    text = "c1:" + "".join(C1)
    first = sample.findings[0]
    subject = Subject(f"docker:{text}", "container", text)
    finding = dataclasses.replace(first, subject=subject, detail=text, evidence={"label": text, text: [text]})
    collectors = {**sample.collectors, text: CollectorStatus(text, CollectorState.ERROR, text)}  # from a snapshot file
    return dataclasses.replace(sample, host={**sample.host, "hostname": text}, findings=(finding, *sample.findings[1:]),
                               collectors=collectors)


@pytest.mark.parametrize("fmt", ["html", "csv", "prometheus"])
@pytest.mark.parametrize("char", C1, ids=[f"U+{ord(c):04X}" for c in C1])
def test_no_c1_control_reaches_the_output(c1_report, fmt, char):
    text = renderers.render(c1_report, fmt)
    assert "c1:" in text  # the hostile value itself is printed, in its sanitized form
    assert char not in text
    controls = {c for c in set(text) if unicodedata.category(c) == "Cc"} - LINE_CONTROLS
    assert not controls, f"{fmt} carries controls {sorted(map(hex, map(ord, controls)))}"
