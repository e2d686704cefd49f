import pytest

from hostaudit.collectors.normalize import from_docker
from hostaudit.model import Status
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

CHECK = "container.no_pids_limit"


def test_unlimited_and_limited_containers(lab_snapshot):
    results = results_by_subject(CHECK, lab_snapshot)
    assert results["sysadmin"].status is Status.FAIL
    assert results["hardened"].status is Status.PASS
    assert results["hardened"].evidence == {"pids_limit": 50}


@pytest.mark.parametrize("raw", [None, 0, -1])
def test_dockers_unlimited_markers_fail(lab_snapshot, raw):
    normalized = from_docker({"Name": "/x", "HostConfig": {"PidsLimit": raw}}).pids_limit
    snapshot = replace_container(lab_snapshot, "hardened-stopped", pids_limit=normalized)
    assert results_by_subject(CHECK, snapshot)["hardened-stopped"].status is Status.FAIL


def test_unknown_when_docker_cannot_be_listed(lab_snapshot):
    assert_unknown_without_docker(CHECK, lab_snapshot)
