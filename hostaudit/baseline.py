"""Compare a report with a previous JSON report: which failures are new, unchanged, or resolved.

Pure: takes the previous report as parsed JSON and returns a new `Report`. Identities are check id + subject key
(`Finding.identity`), never message text, so rewording a check does not make its findings "new".
"""

from __future__ import annotations

import dataclasses
from typing import Any

from hostaudit import report_file
from hostaudit.model import Status
from hostaudit.report import Report

NEW = "new"
UNCHANGED = "unchanged"


@dataclasses.dataclass(frozen=True)
class Baseline:
    """What a previous report found: the identities that failed (waived or not) and the checks it evaluated."""

    failing: frozenset[str]
    checks: frozenset[str]


def _identity(item: dict[str, Any]) -> str:
    identity = item.get("identity")
    if isinstance(identity, str):
        return identity
    subject = item.get("subject")
    if not isinstance(item.get("check_id"), str) or not isinstance(subject, dict) or not isinstance(
            subject.get("key"), str):
        raise ValueError("a finding has neither an identity nor a check_id and subject key")
    return f"{item['check_id']}|{subject['key']}"


def parse(document: Any) -> Baseline:
    """The baseline of a parsed hostaudit JSON report (version 1 or 2); ValueError with a readable reason if not."""
    failing, checks = set(), set()
    for item in report_file.findings(report_file.check(document)):
        if isinstance(item.get("check_id"), str):
            checks.add(item["check_id"])
        if item.get("status") == Status.FAIL.value:
            failing.add(_identity(item))
    return Baseline(frozenset(failing), frozenset(checks))


def _resolved(report: Report, baseline: Baseline) -> list[str]:
    """Previous failures that now pass, or whose subject is gone while their check ran in full.

    An `unknown` is never a resolution: neither a failure now unknown, nor a container missing because its check
    could not see all subjects (a collector failed, a check raised) or did not run (a `--check` subset).
    """
    now = {f.identity: f.status for f in report.findings}
    complete = {f.check_id for f in report.findings}
    complete -= {f.check_id for f in report.findings if f.status is Status.UNKNOWN and f.subject.kind != "container"}
    resolved = []
    for identity in baseline.failing:
        status = now.get(identity)
        if status in (Status.PASS, Status.NOT_APPLICABLE) or (
                status is None and identity.split("|", 1)[0] in complete):
            resolved.append(identity)
    return sorted(resolved)


def compare(report: Report, baseline: Baseline) -> Report:
    """The report with each failure marked new or unchanged, and the baseline's resolved failures listed."""
    findings = tuple(
        dataclasses.replace(f, baseline=UNCHANGED if f.identity in baseline.failing else NEW)
        if f.status is Status.FAIL else f
        for f in report.findings
    )
    return dataclasses.replace(report, findings=findings, resolved=tuple(_resolved(report, baseline)))
