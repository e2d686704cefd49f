"""The JSON report: every finding with its evidence, versioned."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

from hostaudit.report import Finding, Report
from hostaudit.sanitize import json_text, json_value
from hostaudit.serde import to_jsonable

FINDINGS_KEY = '"findings": []'


def _finding(finding: Finding) -> dict[str, Any]:
    item = to_jsonable(finding)
    item["identity"] = finding.identity
    return json_value(item)


def _head(report: Report, findings: list[dict[str, Any]]) -> dict[str, Any]:
    data = to_jsonable(dataclasses.replace(report, findings=()))
    data["findings"] = findings
    data["summary"] = {
        "failing_by_severity": report.counts(),
        "by_status": report.status_counts(),
        "containers": len(report.containers),
        "pods": report.pods,
        "escapable_containers": len(report.escapable),
    }
    # lead with the answer: how many containers can escape, then each container's verdict and paths
    lead = ("report_version", "summary", "escapes")
    return json_value({key: data[key] for key in lead} | {k: v for k, v in data.items() if k not in lead})


def document(report: Report) -> dict[str, Any]:
    return _head(report, [_finding(f) for f in report.findings])


def chunks(report: Report) -> Iterator[str]:
    """The text of `json.dumps(document(report), indent=2)`, one finding at a time: at 1000 containers (60k findings)
    neither the whole document nor the whole text is ever held in memory."""
    encoder = json.JSONEncoder(indent=2, ensure_ascii=False, allow_nan=False)
    # keys and strings are JSON-escaped, so the only bare `"findings": []` is the placeholder itself
    before, after = encoder.encode(_head(report, [])).split(FINDINGS_KEY, 1)
    if not report.findings:
        yield json_text(before + FINDINGS_KEY + after + "\n")
        return
    yield json_text(before + '"findings": [')
    for index, finding in enumerate(report.findings):
        item = encoder.encode(_finding(finding)).replace("\n", "\n    ")
        yield ("," if index else "") + "\n    " + json_text(item)
    yield json_text("\n  ]" + after + "\n")


def render(report: Report) -> str:
    return "".join(chunks(report))
