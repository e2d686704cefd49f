"""Reading a JSON report written by this or the previous report version, for the baseline, fleet and remediation.

Version 1 repeats each check's metadata in every finding; version 2 keeps it once in a `checks` table keyed by id.
`findings` gives every finding in the version 1 shape (metadata joined in, `identity` set), so readers keep one
shape. A report is another host's file: anything that is not one of these shapes is a ValueError with a reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

READABLE_VERSIONS = (1, 2)
ABSENT = {"waiver": None, "baseline": None}  # version 2 leaves these (and a subject's pod) out when None


def check(document: Any) -> dict[str, Any]:
    """The document when it is a hostaudit JSON report of a readable version, else ValueError saying why not."""
    if not isinstance(document, dict) or "report_version" not in document or not isinstance(
            document.get("findings"), list):
        raise ValueError("not a hostaudit JSON report (no report_version and findings)")
    version = document["report_version"]
    if version not in READABLE_VERSIONS or isinstance(version, bool):
        raise ValueError(f"report_version {version!r} is not one this hostaudit reads "
                         f"({', '.join(map(str, READABLE_VERSIONS))})")
    if version >= 2 and not isinstance(document.get("checks"), dict):
        raise ValueError(f"report_version {version} without a checks table")
    return document


def with_checks(document: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Each finding of a checked report with its check's metadata ({} when the table lacks it; in version 1 the
    finding itself), not joined: for readers that need a few fields of very many findings (the fleet)."""
    checks = document.get("checks") if document["report_version"] >= 2 else None
    for item in document["findings"]:
        if not isinstance(item, dict):
            raise ValueError("a finding is not an object")
        meta = item if checks is None else checks.get(item.get("check_id"))
        yield item, meta if isinstance(meta, dict) else {}


def findings(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Each finding of a checked report in the version 1 shape; ValueError on a finding that is not an object."""
    if document["report_version"] == 1:
        yield from (item for item, _ in with_checks(document))
        return
    for item, meta in with_checks(document):
        joined = meta | ABSENT | item
        subject = item.get("subject")
        if isinstance(subject, dict):
            joined["subject"] = {"pod": None} | subject
            if isinstance(subject.get("key"), str):
                joined["identity"] = f"{item.get('check_id')}|{subject['key']}"
        yield joined


def as_version_1(document: Any) -> dict[str, Any]:
    """A readable report as version 1 wrote it (the fields other than checks and findings are the same in both)."""
    report = check(document)
    if report["report_version"] == 1:
        return report
    return {key: value for key, value in report.items() if key != "checks"} | {
        "report_version": 1, "findings": list(findings(report))}
