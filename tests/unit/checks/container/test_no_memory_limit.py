from hostaudit.model import Status
from tests.unit.conftest import assert_unknown_without_docker, in_pod, results_by_subject

CHECK = "container.no_memory_limit"


def test_unlimited_and_limited_containers(lab_snapshot):
    results = results_by_subject(CHECK, lab_snapshot)
    assert results["sysadmin"].status is Status.FAIL
    assert results["sysadmin"].evidence == {"memory_limit": 0}
    assert results["hardened"].status is Status.PASS
    assert results["hardened"].evidence == {"memory_limit": 64 * 1024 * 1024}


def test_unknown_when_docker_cannot_be_listed(lab_snapshot):
    assert_unknown_without_docker(CHECK, lab_snapshot)


def test_a_pod_container_is_bound_by_its_pod_cgroup(lab_snapshot):
    limited = results_by_subject(CHECK, in_pod(lab_snapshot, "sysadmin", {"memory": 256 << 20}))["sysadmin"]
    assert (limited.status, limited.evidence["pod_cgroup.memory"]) == (Status.PASS, 256 << 20)
    unlimited = results_by_subject(CHECK, in_pod(lab_snapshot, "sysadmin", {"memory": None}))["sysadmin"]
    assert unlimited.status is Status.FAIL
