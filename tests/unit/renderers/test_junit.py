"""JUnit XML, read back with xml.etree as a CI server would."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hostaudit.renderers import junit

from .conftest import HOSTILE_NAME


def parse(text: str) -> ET.Element:
    return ET.fromstring(text.encode())


def cases(root: ET.Element) -> dict[tuple[str, str], ET.Element]:
    return {(case.get("classname"), case.get("name")): case for case in root.iter("testcase")}


def test_one_suite_per_check_one_case_per_subject(sample, golden):
    text = junit.render(sample)
    root = parse(text)
    assert root.tag == "testsuites"
    suites = {suite.get("name"): suite for suite in root.findall("testsuite")}
    assert set(suites) == {f.check_id for f in sample.findings} | {"pod_security.baseline"}
    for suite in suites.values():
        children = suite.findall("testcase")
        assert int(suite.get("tests")) == len(children)
        assert int(suite.get("failures")) == sum(1 for c in children if c.find("failure") is not None)
        assert int(suite.get("skipped")) == sum(1 for c in children if c.find("skipped") is not None)
    assert int(root.get("tests")) == len(sample.findings) + len(sample.pods)
    golden("sample.junit.xml", text)


def test_outcomes_follow_status(sample):
    found = cases(parse(junit.render(sample)))
    failure = found[("container.privileged", HOSTILE_NAME)].find("failure")
    assert failure is not None and failure.get("type") == "critical"
    assert "privileged.declared" in failure.text
    assert found[("container.host_pid", HOSTILE_NAME)].find("failure") is None
    assert found[("container.host_pid", HOSTILE_NAME)].find("skipped") is None
    waived = found[("container.runs_as_root", sample.findings[4].subject.name)].find("skipped")
    assert waived is not None and "legacy image" in waived.get("message")
    assert found[("container.seccomp_unconfined", "shop/locked/web")].find("skipped").get("message").startswith(
        "unknown")
    assert found[("kernel.cve_2022_0847", "host")].find("skipped").get("message").startswith("not_applicable")


def test_control_characters_never_reach_the_xml(sample):
    text = junit.render(sample)
    assert "\x1b" not in text
    failure = cases(parse(text))[("container.privileged", HOSTILE_NAME)].find("failure")
    assert "\\u001b[31mred\\u001b[0m\\nsecond line </script>" in failure.text  # evidence as escaped JSON
    assert junit.xml_text("a\x1b[31mb\x00c\nd") == "a\\x1b[31mb\\x00c\nd"  # names: visible escapes, newline kept


def test_a_pod_below_the_baseline_fails_its_pod_security_case(sample):
    suites = parse(junit.render(sample)).findall("testsuite")
    suite = next(s for s in suites if s.get("name") == "pod_security.baseline")
    outcomes = {case.get("name"): case.find("failure") for case in suite.findall("testcase")}
    assert outcomes["shop/risky"] is not None and "hostNamespaces (pod)" in outcomes["shop/risky"].text
    assert outcomes["shop/locked (baseline)"] is None
