"""Comparing a report with a previous JSON report: new, unchanged, resolved, and what is never 'resolved'."""

from __future__ import annotations

import dataclasses
import json

import pytest

from hostaudit import baseline, engine, report_file
from hostaudit.catalog import Severity
from hostaudit.model import Status, Subject
from hostaudit.renderers import json as json_renderer
from tests.unit.conftest import load, replace_container


@pytest.fixture(scope="module")
def lab_report():
    return engine.audit(load("lab/planted.json"))


def previous(report) -> baseline.Baseline:
    return baseline.parse(json.loads(json_renderer.render(report)))


def by_identity(report) -> dict:
    return {f.identity: f for f in report.findings}


def test_same_audit_twice_is_all_unchanged(lab_report):
    compared = baseline.compare(lab_report, previous(lab_report))
    marks = {f.baseline for f in compared.findings if f.status is Status.FAIL}
    assert marks == {"unchanged"}
    assert all(f.baseline is None for f in compared.findings if f.status is not Status.FAIL)
    assert compared.resolved == ()
    assert compared.exit_code(None) == 0 and compared.exit_code(lab_report.findings[0].severity, new_only=True) == 0


def test_a_new_weakness_is_new_and_a_fixed_one_resolved(lab_report):
    snapshot = load("lab/planted.json")
    weaker = replace_container(snapshot, "hardened", privileged=True)
    fixed = replace_container(weaker, "sock", mounts=())
    compared = baseline.compare(engine.audit(fixed), previous(lab_report))
    found = by_identity(compared)
    assert found["container.privileged|docker:hardened"].baseline == "new"
    assert found["container.privileged|docker:priv"].baseline == "unchanged"
    assert "container.docker_socket_mounted|docker:sock" in compared.resolved
    assert found["container.docker_socket_mounted|docker:sock"].status is Status.PASS
    assert compared.exit_code(Severity.CRITICAL, new_only=True) == 1


def test_a_removed_container_is_resolved_only_when_its_checks_ran(lab_report):
    snapshot = load("lab/planted.json")
    gone = dataclasses.replace(snapshot, containers=tuple(c for c in snapshot.containers if c.name != "sock"))
    compared = baseline.compare(engine.audit(gone), previous(lab_report))
    assert "container.docker_socket_mounted|docker:sock" in compared.resolved
    subset = baseline.compare(engine.audit(gone, ("container.privileged",)), previous(lab_report))
    assert not [i for i in subset.resolved if not i.startswith("container.privileged|")]


def test_unknown_is_never_resolved(lab_report):
    identity = "container.docker_socket_mounted|docker:sock"
    blind = dataclasses.replace(lab_report, findings=tuple(
        dataclasses.replace(f, status=Status.UNKNOWN) if f.identity == identity else f for f in lab_report.findings))
    assert identity not in baseline.compare(blind, previous(lab_report)).resolved
    # containers missing because the container source failed: a source-level unknown, nothing resolved
    source = Subject("source:containers", "source", "docker containers")
    socket_check = next(f.check for f in lab_report.findings if f.check_id == "container.docker_socket_mounted")
    unknown = dataclasses.replace(lab_report.findings[0], subject=source, status=Status.UNKNOWN, check=socket_check)
    missing = dataclasses.replace(lab_report, findings=(unknown, *(
        f for f in lab_report.findings if not f.subject.key.startswith("docker:"))))
    assert identity not in baseline.compare(missing, previous(lab_report)).resolved


def test_identity_is_computed_when_an_old_report_lacks_it(lab_report):
    document = report_file.as_version_1(json.loads(json_renderer.render(lab_report)))
    for item in document["findings"]:
        del item["identity"]
    assert baseline.parse(document) == previous(lab_report)


@pytest.mark.parametrize("document", [[], {"findings": []}, {"report_version": 1, "findings": {}},
                                      {"report_version": 1, "findings": ["x"]},
                                      {"report_version": 1, "findings": [{"status": "fail"}]}])
def test_not_a_report_is_a_clear_error(document):
    with pytest.raises(ValueError):
        baseline.parse(document)
