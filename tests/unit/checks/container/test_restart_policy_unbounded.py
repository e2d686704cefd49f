import pytest

from hostaudit.model import Status
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

CHECK = "container.restart_policy_unbounded"


@pytest.mark.parametrize(("policy", "retries"), [("always", 0), ("unless-stopped", 0), ("on-failure", 6),
                                                 ("on-failure", 0)])
def test_unbounded_restarts_fail(lab_snapshot, policy, retries):
    snapshot = replace_container(lab_snapshot, "etc-ro", restart_policy=policy, restart_max_retries=retries)
    result = results_by_subject(CHECK, snapshot)["etc-ro"]
    assert result.status is Status.FAIL
    assert result.evidence == {"restart_policy": policy, "restart_max_retries": retries}


@pytest.mark.parametrize(("policy", "retries"), [("no", 0), ("on-failure", 5)])
def test_bounded_restarts_pass(lab_snapshot, policy, retries):
    snapshot = replace_container(lab_snapshot, "etc-ro", restart_policy=policy, restart_max_retries=retries)
    assert results_by_subject(CHECK, snapshot)["etc-ro"].status is Status.PASS


def test_not_applicable_to_containerd_and_unknown_without_docker(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["shop/locked/web"]
    assert result.status is Status.NOT_APPLICABLE
    assert result.evidence == {"source": "containerd"}
    assert_unknown_without_docker(CHECK, lab_snapshot)
