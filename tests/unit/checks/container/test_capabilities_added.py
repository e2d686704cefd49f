from hostaudit.model import Status
from tests.unit.conftest import assert_unknown_without_docker, results_by_subject

CHECK = "container.capabilities_added"


def test_added_capability_is_named(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["sysadmin"]
    assert result.status is Status.FAIL
    assert result.evidence["capabilities.beyond_default"] == ["SYS_ADMIN"]


def test_default_and_dropped_sets_pass(lab_snapshot):
    results = results_by_subject(CHECK, lab_snapshot)
    assert results["host-pid"].status is Status.PASS
    assert results["hardened"].evidence["capabilities.beyond_default"] == []


def test_unknown_when_docker_cannot_be_listed(lab_snapshot):
    assert_unknown_without_docker(CHECK, lab_snapshot)
