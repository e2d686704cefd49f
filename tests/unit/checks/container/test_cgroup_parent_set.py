from hostaudit.model import Status
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

CHECK = "container.cgroup_parent_set"


def test_custom_cgroup_parent_fails(lab_snapshot):
    snapshot = replace_container(lab_snapshot, "etc-ro", cgroup_parent="/custom")
    result = results_by_subject(CHECK, snapshot)["etc-ro"]
    assert result.status is Status.FAIL
    assert result.evidence == {"cgroup_parent": "/custom"}


def test_default_cgroup_parent_passes(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["etc-ro"]
    assert result.status is Status.PASS
    assert result.evidence == {"cgroup_parent": ""}


def test_not_applicable_to_containerd_and_unknown_without_docker(lab_snapshot):
    assert results_by_subject(CHECK, lab_snapshot)["shop/risky/app"].status is Status.NOT_APPLICABLE
    assert_unknown_without_docker(CHECK, lab_snapshot)
