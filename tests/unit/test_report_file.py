"""Readers of JSON reports accept version 2 and the previous version 1, and read the same facts from both.

The oracle for version 1 is a report the version 1 renderer wrote (fixtures/reports/v1-sample.json, the renderers'
sample report, recorded before version 2) and the version 1 schema shipped with it (report-v1.schema.json).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jsonschema
import pytest

from hostaudit import baseline, fleet, report_file
from hostaudit.remediation import PlaybookOptions, load_report, remediate
from hostaudit.renderers import json as json_renderer
from tests.unit.renderers.conftest import sample_report

RECORDED = Path(__file__).parent / "fixtures" / "reports"


@pytest.fixture(scope="module")
def version_1() -> dict:
    document = json.loads((RECORDED / "v1-sample.json").read_text())
    schema = json.loads((RECORDED / "report-v1.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(document)  # a genuine version 1 report
    return document


# report fields added after the version 1 recording (Kubernetes pods and their count): not a matter of the version
ADDED_SINCE = {"pods"}
REPORT_FIELDS_ADDED_SINCE = {"cve_data", "engines"}  # the CVE data's age; every dockerd audited
HOST_FIELDS_REWORDED_SINCE = {"docker"}  # the headline names each dockerd when there are several
CONTAINER_FIELDS_ADDED_SINCE = {"owner"}  # the user whose engine runs it (rootless engines)


@pytest.fixture(scope="module")
def version_2() -> dict:
    """The same sample report as version 2 writes it, less the fields added since version 1 was recorded."""
    document = json_renderer.document(sample_report())
    assert document["report_version"] == 2 and "title" not in document["findings"][0]
    assert document.keys() >= ADDED_SINCE and document["summary"].keys() >= ADDED_SINCE
    assert document.keys() >= REPORT_FIELDS_ADDED_SINCE
    document = {key: value for key, value in document.items()
                if key not in ADDED_SINCE | REPORT_FIELDS_ADDED_SINCE}
    document["summary"] = {key: value for key, value in document["summary"].items() if key not in ADDED_SINCE}
    document["containers"] = [{key: value for key, value in c.items() if key not in CONTAINER_FIELDS_ADDED_SINCE}
                              for c in document["containers"]]
    return document


def test_version_2_read_as_version_1_is_the_recorded_version_1_report(version_1, version_2):
    upgraded = report_file.as_version_1(version_2)
    assert upgraded["findings"] == version_1["findings"]

    def same_host(document: dict) -> dict:
        return document | {"host": {k: v for k, v in document["host"].items() if k not in HOST_FIELDS_REWORDED_SINCE}}

    assert same_host(upgraded) == same_host(version_1)
    assert version_1["host"]["docker"] in upgraded["host"]["docker"]


def test_baseline_reads_both_versions_alike(version_1, version_2):
    old, new = baseline.parse(version_1), baseline.parse(version_2)
    assert old == new
    assert "container.runs_as_root|docker:=cmd|' /C calc'!A0" in new.failing  # a waived failure is still failing


def test_fleet_reads_both_versions_alike(tmp_path, version_1, version_2):
    for name, document in (("old", version_1), ("new", version_2)):
        (tmp_path / f"{name}.json").write_text(json.dumps(document))
    (old, checks_old), (new, checks_new) = fleet.host_entry(tmp_path / "old.json"), fleet.host_entry(
        tmp_path / "new.json")
    assert old.error is None and new.error is None
    assert (old.cells, old.failing, old.escapable) == (new.cells, new.failing, new.escapable)
    assert checks_old == checks_new
    assert new.failing["critical"] == 2


def test_remediate_reads_both_versions_alike(tmp_path, version_1, version_2):
    outputs = []
    for name, document in (("old", version_1), ("new", version_2)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(document))
        done = remediate(load_report(path), PlaybookOptions())
        outputs.append((done.playbook, done.containers, done.pods))
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize(("change", "reason"), [
    (lambda d: d.update(report_version=3), "report_version 3"),
    (lambda d: d.update(report_version=True), "report_version True"),
    (lambda d: d.pop("checks"), "without a checks table"),
    (lambda d: d.update(findings={}), "not a hostaudit JSON report"),
])
def test_an_unreadable_report_says_why(version_2, change, reason):
    document = json.loads(json.dumps(version_2))
    change(document)
    with pytest.raises(ValueError, match=reason):
        baseline.parse(document)


def test_a_finding_of_a_check_missing_from_the_table_keeps_its_identity(version_2):
    document = dataclasses.replace(sample_report())  # same report; drop one check's metadata
    data = json_renderer.document(document)
    del data["checks"]["container.privileged"]
    assert f"container.privileged|{data['findings'][0]['subject']['key']}" in baseline.parse(data).failing
