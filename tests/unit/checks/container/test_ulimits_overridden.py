from hostaudit.model import Status
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

CHECK = "container.ulimits_overridden"


def test_ulimit_override_fails(lab_snapshot):
    snapshot = replace_container(lab_snapshot, "etc-ro", ulimits=("nofile=1048576:1048576",))
    result = results_by_subject(CHECK, snapshot)["etc-ro"]
    assert result.status is Status.FAIL
    assert result.evidence == {"ulimits": ["nofile=1048576:1048576"]}


def test_daemon_defaults_pass(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["etc-ro"]
    assert result.status is Status.PASS
    assert result.evidence == {"ulimits": []}


def test_not_applicable_to_containerd_and_unknown_without_docker(lab_snapshot):
    assert results_by_subject(CHECK, lab_snapshot)["shop/locked/web"].status is Status.NOT_APPLICABLE
    assert_unknown_without_docker(CHECK, lab_snapshot)
