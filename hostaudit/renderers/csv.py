"""Findings as CSV, one row per finding, safe to open in a spreadsheet; the last column says how old the CVE data
is (CSV has no header beside the column names)."""

from __future__ import annotations

import csv
import io
import json

from hostaudit.report import Finding, Report
from hostaudit.sanitize import csv_cell as cell

COLUMNS = ("identity", "check_id", "title", "severity", "status", "waiver", "baseline", "subject_kind",
           "subject_key", "subject_name", "cis", "evidence", "detail", "remediation", "pod", "pod_security_level",
           "cve_data")


def _row(finding: Finding, pod_levels: dict[str, str], cve_data: str | None) -> tuple[object, ...]:
    return (finding.identity, finding.check_id, finding.title, finding.severity.value, finding.status.value,
            finding.waiver, finding.baseline, finding.subject.kind, finding.subject.key, finding.subject.name,
            " ".join(finding.cis), json.dumps(finding.evidence, ensure_ascii=False, sort_keys=True, default=str),
            finding.detail, finding.remediation, finding.subject.pod, pod_levels.get(finding.subject.pod or ""),
            cve_data)


def render(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    pod_levels = report.pod_levels()
    cve_data = report.cve_data.note if report.cve_data is not None else None
    for finding in report.findings:
        writer.writerow([cell(value) for value in _row(finding, pod_levels, cve_data)])
    return buffer.getvalue()
