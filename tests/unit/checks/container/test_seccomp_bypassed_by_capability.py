from hostaudit.model import Status
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

CHECK = "container.seccomp_bypassed_by_capability"


def test_sys_admin_under_the_default_profile_fails(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["sysadmin"]
    assert result.status is Status.FAIL
    assert result.evidence["capabilities.reopening"] == ["SYS_ADMIN"]
    assert "mount" in result.evidence["syscalls.reopened"]


def test_default_capabilities_pass(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["etc-ro"]
    assert result.status is Status.PASS
    assert result.evidence["capabilities.reopening"] == []


def test_no_filter_at_all_is_left_to_seccomp_unconfined(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["priv"]
    assert result.status is Status.PASS
    assert result.evidence["seccomp.declared"] == "unconfined"


def test_custom_docker_profile_cannot_be_judged(lab_snapshot):
    snapshot = replace_container(lab_snapshot, "module-stopped", seccomp="custom")
    result = results_by_subject(CHECK, snapshot)["module-stopped"]
    assert result.status is Status.UNKNOWN
    assert result.evidence["capabilities.reopening"] == ["SYS_MODULE"]
    assert_unknown_without_docker(CHECK, lab_snapshot)
