"""Concepts with one definition: the severity order (hostaudit.severity.Severity, which the catalog re-exports) and
the waived status (hostaudit.report.shown_status) are what every renderer, the CLI, the fleet view and remediation
use."""

from __future__ import annotations

import pytest

from hostaudit import cli, fleet, severity
from hostaudit.catalog import Severity
from hostaudit.remediation.containers import failing_container_findings
from hostaudit.renderers import html, sarif, text
from hostaudit.report import WAIVED, shown_status

WORST_FIRST = ("critical", "high", "medium", "low", "info")


def test_every_severity_order_is_the_catalogs():
    assert tuple(s.value for s in Severity) == WORST_FIRST
    assert [s.rank for s in Severity] == [4, 3, 2, 1, 0]
    assert fleet.SEVERITIES == WORST_FIRST
    assert Severity is severity.Severity
    assert cli.SEVERITIES == WORST_FIRST  # --fail-on's choices
    assert tuple(html.SEVERITIES) == WORST_FIRST
    assert set(text.SEVERITY_STYLE) == set(WORST_FIRST)
    assert set(sarif.LEVEL) == set(Severity)


@pytest.mark.parametrize(("status", "waiver", "shown"), [
    ("fail", "accepted until June", WAIVED), ("fail", None, "fail"), ("fail", "", "fail"),
    ("pass", "stale waiver", "pass"), ("unknown", "x", "unknown"),
])
def test_waived_is_a_failure_a_waiver_covers(status, waiver, shown):
    assert shown_status(status, waiver) == shown
    finding = {"status": status, "waiver": waiver, "subject": {"kind": "container"}, "check_id": "container.x"}
    assert fleet._cell(finding) == shown
    assert bool(failing_container_findings({"findings": [finding]})) is (shown == "fail")
