import pytest

from hostaudit.model import Status
from tests.unit.conftest import assert_unknown_without_docker, in_pod, replace_container, results_by_subject

CHECK = "container.no_cpu_limit"


def test_container_without_cpu_settings_fails(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["etc-ro"]
    assert result.status is Status.FAIL
    assert result.evidence == {"nano_cpus": 0, "cpu_quota": 0, "cpu_shares": 0}


def test_default_shares_are_no_limit(lab_snapshot):
    snapshot = replace_container(lab_snapshot, "etc-ro", cpu_shares=1024)
    assert results_by_subject(CHECK, snapshot)["etc-ro"].status is Status.FAIL


@pytest.mark.parametrize("setting", [{"nano_cpus": 500_000_000}, {"cpu_quota": 50_000}, {"cpu_shares": 512}])
def test_any_cpu_limit_passes(lab_snapshot, setting):
    result = results_by_subject(CHECK, replace_container(lab_snapshot, "etc-ro", **setting))["etc-ro"]
    assert result.status is Status.PASS
    assert result.evidence[next(iter(setting))] == next(iter(setting.values()))


def test_unknown_when_docker_cannot_be_listed(lab_snapshot):
    assert_unknown_without_docker(CHECK, lab_snapshot)


def test_kubelet_shares_are_no_limit_for_a_pod_but_its_cgroup_quota_is(lab_snapshot):
    shares_only = in_pod(lab_snapshot, "etc-ro", {"cpu_quota": None}, cpu_shares=2)
    assert results_by_subject(CHECK, shares_only)["etc-ro"].status is Status.FAIL
    quota = results_by_subject(CHECK, in_pod(lab_snapshot, "etc-ro", {"cpu_quota": 50_000}, cpu_shares=2))["etc-ro"]
    assert (quota.status, quota.evidence["pod_cgroup.cpu_quota"]) == (Status.PASS, 50_000)
