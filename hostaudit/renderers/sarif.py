"""SARIF 2.1.0: one run, the checks as rules, failing and waived findings as results with stable fingerprints."""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

from hostaudit.catalog import Severity
from hostaudit.model import CollectorState, Status
from hostaudit.pss import describe
from hostaudit.report import Finding, Report
from hostaudit.sanitize import bidi_escaped, json_value
from hostaudit.serde import to_jsonable

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT = "hostauditIdentity/v1"
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note",
         Severity.INFO: "note"}
# the 0-10 scale code-scanning dashboards sort security results by
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0",
                     Severity.INFO: "0.0"}


def _rule_name(check_id: str) -> str:
    return "".join(part.capitalize() for part in check_id.replace(".", "_").split("_"))


def _rule(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.check_id,
        "name": _rule_name(finding.check_id),
        "shortDescription": {"text": finding.title},
        "fullDescription": {"text": finding.rationale or finding.title},
        "help": {"text": f"Remediation: {finding.remediation}"},
        "defaultConfiguration": {"level": LEVEL[finding.severity]},
        "properties": {
            "severity": finding.severity.value,
            "security-severity": SECURITY_SEVERITY[finding.severity],
            "cis": list(finding.cis),
            "references": list(finding.references),
            "tags": ["security", "container-escape", finding.scope, *(f"CIS-{cis}" for cis in finding.cis)],
        },
    }


def _evidence_path(finding: Finding) -> str | None:
    """The host file a file-based finding is about: an absolute `path` (or `*.path`) evidence value."""
    for key, value in finding.evidence.items():
        if (key == "path" or key.endswith((".path", "_path"))) and isinstance(value, str) and value.startswith("/"):
            return value
    return None


def _locations(finding: Finding, host: str) -> list[dict[str, Any]]:
    subject = finding.subject
    logical = {"name": subject.name, "fullyQualifiedName": f"{host}/{subject.key}", "kind": "resource",
               "properties": {"subjectKind": subject.kind}}
    location: dict[str, Any] = {"logicalLocations": [logical]}
    path = _evidence_path(finding)
    if path is not None:
        location["physicalLocation"] = {"artifactLocation": {"uri": PurePosixPath(path).as_uri()}}
    return [location]


def _result(finding: Finding, rule_index: int, host: str, pod_levels: dict[str, str]) -> dict[str, Any]:
    text = f"{finding.title}: {finding.subject.name}"
    if finding.detail:
        text += f" ({finding.detail})"
    result: dict[str, Any] = {
        "ruleId": finding.check_id,
        "ruleIndex": rule_index,
        "kind": "fail",
        "level": LEVEL[finding.severity],
        "message": {"text": text},
        "locations": _locations(finding, host),
        "partialFingerprints": {FINGERPRINT: finding.identity},
        "properties": {"subject": finding.subject.key, "subjectKind": finding.subject.kind,
                       "evidence": finding.evidence},
    }
    if finding.subject.pod in pod_levels:
        result["properties"]["podSecurityLevel"] = pod_levels[finding.subject.pod]
    if finding.baseline is not None:
        result["baselineState"] = finding.baseline
    if finding.waiver is not None:
        result["suppressions"] = [{"kind": "external", "status": "accepted", "justification": finding.waiver}]
    return result


def document(report: Report) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    for finding in sorted(report.findings, key=lambda f: f.check_id):
        rules.setdefault(finding.check_id, _rule(finding))
    index = {check_id: position for position, check_id in enumerate(rules)}
    host = report.host.get("hostname") or "host"
    pod_levels = report.pod_levels()
    results = [_result(f, index[f.check_id], host, pod_levels) for f in report.findings if f.status is Status.FAIL]
    notifications = [{"level": "error", "message": {"text": f"collector {s.name} failed: {s.message}"},
                      "descriptor": {"id": f"collector.{s.name}"}}
                     for s in report.collectors.values() if s.state is CollectorState.ERROR]
    if report.cve_data is not None and report.cve_data.stale:
        notifications.append({"level": "warning", "message": {"text": report.cve_data.note},
                              "descriptor": {"id": "cve_data.stale"}})
    invocation: dict[str, Any] = {"executionSuccessful": True, "toolExecutionNotifications": notifications}
    run_properties: dict[str, Any] = {"host": report.host, "collectedAt": report.collected_at,
                                      "resolved": list(report.resolved), "notes": list(report.notes)}
    if report.cve_data is not None:
        run_properties["cveData"] = to_jsonable(report.cve_data)
    if report.pods:
        run_properties["pods"] = [
            {"namespace": p.namespace, "name": p.name, "uid": p.uid, "owner": f"{p.owner_kind}/{p.owner_name}"
             if p.owner_kind else None, "podSecurityLevel": p.pss.level,
             "unprovenLevel": p.pss.unproven,
             "failingControls": [describe(c) for c in p.pss.failing],
             "unknownControls": [describe(c) for c in p.pss.unknown],
             "controls": [{"control": c.control, "level": c.level, "status": c.status.value,
                           "container": c.container, "evidence": c.evidence} for c in p.pss.controls]}
            for p in report.pods]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "hostaudit", "version": report.hostaudit_version,
                                "rules": list(rules.values())}},
            "automationDetails": {"id": f"hostaudit/{host}/"},
            "invocations": [invocation],
            "results": results,
            "properties": run_properties,
        }],
    }


def render(report: Report) -> str:
    return bidi_escaped(json.dumps(json_value(document(report)), indent=2, ensure_ascii=False, allow_nan=False,
                                default=str)) + "\n"
