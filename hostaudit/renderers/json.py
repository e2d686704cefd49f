"""The JSON report, version 2: each check's metadata once in `checks`, findings that name their check by id.

A finding is one compact line (check id, subject, status, evidence, detail, waiver, baseline), so the report grows by
what each result says, not by the check's prose. Readers of version 1 and 2 reports: `hostaudit.report_file`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

from hostaudit.model import Subject
from hostaudit.report import Finding, Report
from hostaudit.sanitize import bidi_escaped, json_texts, json_value
from hostaudit.serde import to_jsonable

FINDINGS_KEY = '"findings": []'
CHECK_FIELDS = ("title", "severity", "scope", "rationale", "remediation", "cis", "references", "ansible_key")
FINDINGS_PER_CHUNK = 500  # findings encoded, checked and written together


def _subject_item(subject: Subject) -> dict[str, Any]:
    """A finding's subject; its pod is left out when there is none."""
    item = {"key": subject.key, "kind": subject.kind, "name": subject.name}
    if subject.pod is not None:
        item["pod"] = subject.pod
    return item


def _after_subject(finding: Finding) -> dict[str, Any]:
    """What a finding says after its check id and subject: status, evidence (as the check wrote it), detail, then
    the waiver and the baseline mark when there is one."""
    item = {"status": finding.status, "evidence": finding.evidence, "detail": finding.detail}
    if finding.waiver is not None:
        item["waiver"] = finding.waiver
    if finding.baseline is not None:
        item["baseline"] = finding.baseline
    return item


def _finding(finding: Finding) -> dict[str, Any]:
    return json_value(to_jsonable({"check_id": finding.check.id, "subject": _subject_item(finding.subject)}
                                  | _after_subject(finding)))


class _FindingLines:
    """Findings as compact JSON lines, each `_finding`'s text: the check id and the subject (shared by every
    finding of a check, of a container) encoded once each, the rest of each finding on its own."""

    def __init__(self) -> None:
        self.encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"),
                                        default=to_jsonable)
        self._ids: dict[str, str] = {}
        self._subjects: dict[int, tuple[Subject, str]] = {}  # by id(): the subject is kept, so its id stays its own

    def _subject(self, subject: Subject) -> str:
        known = self._subjects.get(id(subject))
        if known is None:
            known = (subject, json_texts((_subject_item(subject),), self.encoder)[0])
            self._subjects[id(subject)] = known
        return known[1]

    def _check_id(self, check_id: str) -> str:
        text = self._ids.get(check_id)
        if text is None:
            text = self._ids[check_id] = json_texts((check_id,), self.encoder)[0]
        return text

    def joined(self, findings: tuple[Finding, ...], separator: str) -> str:
        rests = json_texts(map(_after_subject, findings), self.encoder)  # each "{...}": its "{" replaced below
        return bidi_escaped(separator.join(
            f'{{"check_id":{self._check_id(f.check.id)},"subject":{self._subject(f.subject)},{rest[1:]}'
            for f, rest in zip(findings, rests, strict=True)))


def _checks(report: Report) -> dict[str, dict[str, Any]]:
    """The metadata of every check that has a finding, keyed by id, in the order the findings name them."""
    table: dict[str, dict[str, Any]] = {}
    for finding in report.findings:
        if finding.check_id not in table:
            table[finding.check_id] = {name: to_jsonable(getattr(finding, name)) for name in CHECK_FIELDS}
    return table


def _head(report: Report, findings: list[dict[str, Any]]) -> dict[str, Any]:
    data = to_jsonable(dataclasses.replace(report, findings=()))
    del data["findings"]
    data["summary"] = {
        "failing_by_severity": report.counts(),
        "by_status": report.status_counts(),
        "containers": len(report.containers),
        "pods": report.pod_count,
        "escapable_containers": len(report.escapable),
    }
    # lead with the answer: how many containers can escape, then each container's verdict and paths;
    # end with the checks table and the findings that refer to it
    lead = ("report_version", "summary", "escapes")
    return json_value({key: data[key] for key in lead} | {k: v for k, v in data.items() if k not in lead}
                      | {"checks": _checks(report), "findings": findings})


def document(report: Report) -> dict[str, Any]:
    return _head(report, [_finding(f) for f in report.findings])


def chunks(report: Report) -> Iterator[str]:
    """The report's text a few hundred findings at a time (a line each): at 1000 containers (60k findings) neither
    the whole document nor the whole text is ever held in memory."""
    encoder = json.JSONEncoder(indent=2, ensure_ascii=False, allow_nan=False)
    # keys and strings are JSON-escaped, so the only bare `"findings": []` is the placeholder itself
    before, after = encoder.encode(_head(report, [])).split(FINDINGS_KEY, 1)
    findings = report.findings
    if not findings:
        yield bidi_escaped(before + FINDINGS_KEY + after + "\n")
        return
    yield bidi_escaped(before + '"findings": [')
    lines = _FindingLines()
    for start in range(0, len(findings), FINDINGS_PER_CHUNK):
        part = findings[start:start + FINDINGS_PER_CHUNK]
        yield ("," if start else "") + "\n    " + lines.joined(part, ",\n    ")
    yield bidi_escaped("\n  ]" + after + "\n")


def render(report: Report) -> str:
    return "".join(chunks(report))
