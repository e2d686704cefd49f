import pytest

from hostaudit.collectors.normalize import from_docker
from hostaudit.model import Status
from tests.unit.conftest import assert_unknown_without_docker, in_pod, replace_container, results_by_subject

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


def test_a_pod_container_is_bound_by_its_pod_cgroup(lab_snapshot):
    snapshot = in_pod(lab_snapshot, "sysadmin", {"pids": 4096})
    result = results_by_subject(CHECK, snapshot)["sysadmin"]
    assert (result.status, result.evidence["pod_cgroup.pids"]) == (Status.PASS, 4096)
    unlimited = in_pod(lab_snapshot, "sysadmin", {"pids": None}, kubelet_config={"podPidsLimit": 1024})
    assert results_by_subject(CHECK, unlimited)["sysadmin"].status is Status.FAIL  # the kernel's value wins


def test_kubelet_pod_pids_limit_counts_when_the_pod_cgroup_was_not_read(lab_snapshot):
    limited = results_by_subject(CHECK, in_pod(lab_snapshot, "sysadmin", kubelet_config={"podPidsLimit": 1024}))
    assert limited["sysadmin"].status is Status.PASS
    assert limited["sysadmin"].evidence["kubelet.podPidsLimit"] == 1024
    default = results_by_subject(CHECK, in_pod(lab_snapshot, "sysadmin", kubelet_config={}))
    assert default["sysadmin"].status is Status.FAIL  # KubeletConfiguration default -1: unlimited


# The kubelet gives a pod cgroup a pids limit only `if m.podPidsLimit > 0` (kubernetes pkg/kubelet/cm/
# pod_container_manager_linux.go); KubeletConfiguration documents only "Default: -1". So 0, like -1, is no limit.
@pytest.mark.parametrize("value", [-1, 0, 1, 1024])
def test_kubelet_pod_pids_limit_limits_only_when_positive(lab_snapshot, value):
    result = results_by_subject(CHECK, in_pod(lab_snapshot, "sysadmin", kubelet_config={"podPidsLimit": value}))
    assert result["sysadmin"].status is (Status.PASS if value > 0 else Status.FAIL)
    assert result["sysadmin"].evidence["kubelet.podPidsLimit"] == value
