"""The node_exporter textfile, checked by promtool as Prometheus would read it."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess

import pytest

from hostaudit.model import CollectorState, CollectorStatus
from hostaudit.renderers import prometheus

needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian prometheus) missing")


def promtool(text: str) -> subprocess.CompletedProcess:
    return subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)


def samples(text: str) -> dict[str, str]:
    return dict(line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))


@needs_promtool
def test_promtool_accepts_the_textfile(sample, golden):
    text = prometheus.render(sample)
    done = promtool(text)
    assert done.returncode == 0, done.stdout + done.stderr
    golden("sample.prom", text)


def test_values_come_from_the_report(sample):
    values = samples(prometheus.render(sample))
    assert values['hostaudit_findings{severity="critical"}'] == "2"  # the waived failure is not counted
    assert values['hostaudit_findings{severity="medium"}'] == "0"
    assert values["hostaudit_escapable_containers"] == "2"
    assert values["hostaudit_containers"] == "6"
    assert values["hostaudit_audit_duration_seconds"] == "2.5"
    assert values["hostaudit_last_success_timestamp_seconds"] == "1795403820"  # 2026-11-23T03:17:00Z
    assert values['hostaudit_collector_up{collector="files"}'] == "0"
    assert values['hostaudit_collector_up{collector="audit_rules"}'] == "1"  # skipped: component absent


@needs_promtool
def test_label_values_are_escaped(sample):
    odd = 'we"ird\\name\nline'
    report = dataclasses.replace(sample, collectors={odd: CollectorStatus(odd, CollectorState.ERROR, "x")})
    text = prometheus.render(report)
    assert 'hostaudit_collector_up{collector="we\\"ird\\\\name\\nline"} 0' in text
    done = promtool(text)
    assert done.returncode == 0, done.stdout + done.stderr
