"""JUnit XML for CI dashboards: one testsuite per check, one testcase per check and subject."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from itertools import groupby

from hostaudit.model import Status
from hostaudit.pss import describe
from hostaudit.report import Finding, Report
from hostaudit.sanitize import xml_text


def _body(finding: Finding) -> str:
    evidence = json.dumps(finding.evidence, ensure_ascii=False, sort_keys=True, default=str)
    lines = [f"subject: {finding.subject.key}", f"evidence: {evidence}"]
    if finding.detail:
        lines.append(f"detail: {finding.detail}")
    lines.append(f"remediation: {finding.remediation}")
    return xml_text("\n".join(lines))


def _testcase(suite: ET.Element, finding: Finding) -> str:
    """Add the finding's testcase; returns its outcome: passed, failure or skipped."""
    case = ET.SubElement(suite, "testcase", classname=xml_text(finding.check_id), name=xml_text(finding.subject.name))
    if finding.failing:
        failure = ET.SubElement(case, "failure", type=finding.severity.value,
                                message=xml_text(f"{finding.severity.value}: {finding.title}"))
        failure.text = _body(finding)
        return "failure"
    if finding.status is Status.FAIL:  # waived
        ET.SubElement(case, "skipped", message=xml_text(f"waived: {finding.waiver}"))
        return "skipped"
    if finding.status in (Status.UNKNOWN, Status.NOT_APPLICABLE):
        skipped = ET.SubElement(case, "skipped", message=xml_text(f"{finding.status.value}: {finding.detail}"))
        skipped.text = _body(finding)
        return "skipped"
    return "passed"


def _pod_suite(root: ET.Element, report: Report, host: str) -> list[str]:
    """Suite `pod_security.baseline`: one testcase per pod, failing when the pod is below the baseline."""
    suite = _suite(root, report, "pod_security.baseline", host)
    outcomes = []
    for pod in report.pods:
        case = ET.SubElement(suite, "testcase", classname="pod_security.baseline",
                             name=xml_text(f"{pod.namespace}/{pod.name}"))
        if pod.pss.level == "privileged":
            below = [describe(c) for c in pod.pss.failing + pod.pss.unknown if c.level == "baseline"]
            failure = ET.SubElement(case, "failure", type="pod_security",
                                    message=xml_text(f"Pod Security Standards level: {pod.pss.level}"))
            failure.text = xml_text("\n".join(below))
            outcomes.append("failure")
        else:
            case.set("name", xml_text(f"{pod.namespace}/{pod.name} ({pod.pss.level})"))
            outcomes.append("passed")
    for key, value in {"tests": len(outcomes), "failures": outcomes.count("failure"), "errors": 0,
                       "skipped": 0}.items():
        suite.set(key, str(value))
    return outcomes


def _suite(root: ET.Element, report: Report, name: str, host: str) -> ET.Element:
    """A testsuite whose properties say how old the CVE data is (JUnit has no report-wide properties)."""
    suite = ET.SubElement(root, "testsuite", name=name, hostname=host, timestamp=xml_text(report.collected_at))
    if report.cve_data is not None:
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", name="hostaudit.cve_data", value=report.cve_data.note)
        ET.SubElement(properties, "property", name="hostaudit.cve_data_reviewed_through",
                      value=report.cve_data.reviewed_through or "")
    return suite


def render(report: Report) -> str:
    root = ET.Element("testsuites", name="hostaudit")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    host = xml_text(report.host.get("hostname") or "")
    for check_id, group in groupby(sorted(report.findings, key=lambda f: (f.check_id, f.subject.key)),
                                   key=lambda f: f.check_id):
        suite = _suite(root, report, xml_text(check_id), host)
        outcomes = [_testcase(suite, finding) for finding in group]
        counts = {"tests": len(outcomes), "failures": outcomes.count("failure"), "errors": 0,
                  "skipped": outcomes.count("skipped")}
        for key, value in counts.items():
            suite.set(key, str(value))
            if key in totals:
                totals[key] += value
    if report.pods:
        outcomes = _pod_suite(root, report, host)
        totals["tests"] += len(outcomes)
        totals["failures"] += outcomes.count("failure")
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
