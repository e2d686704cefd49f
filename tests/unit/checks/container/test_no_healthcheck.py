from hostaudit.model import Status
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

CHECK = "container.no_healthcheck"


def test_container_without_healthcheck_fails(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["etc-ro"]
    assert result.status is Status.FAIL
    assert result.evidence == {"healthcheck": False}


def test_container_with_healthcheck_passes(lab_snapshot):
    result = results_by_subject(CHECK, replace_container(lab_snapshot, "etc-ro", healthcheck=True))["etc-ro"]
    assert result.status is Status.PASS
    assert result.evidence == {"healthcheck": True}


def test_not_applicable_to_containerd_and_unknown_without_docker(lab_snapshot):
    assert results_by_subject(CHECK, lab_snapshot)["default/plain-task"].status is Status.NOT_APPLICABLE
    assert_unknown_without_docker(CHECK, lab_snapshot)
