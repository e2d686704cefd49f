import dataclasses

from hostaudit.model import Status
from tests.unit.conftest import (
    assert_unknown_without_docker,
    replace_container,
    results_by_subject,
    with_collector_error,
)

CHECK = "container.cgroup_release_agent_writable"


def test_sys_admin_root_without_lsm_on_cgroup_v1_fails(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["sysadmin"]
    assert result.status is Status.FAIL
    assert result.evidence["capabilities.has_SYS_ADMIN"] is True
    assert result.evidence["lsm.confines"] is False
    assert result.evidence["host.cgroup_v1_controllers"]


def test_without_sys_admin_passes(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["no-seccomp"]
    assert result.status is Status.PASS
    assert result.evidence["capabilities.has_SYS_ADMIN"] is False


def test_cgroup_v2_only_host_passes(lab_snapshot):
    host = dataclasses.replace(lab_snapshot.host, cgroup_v2_unified=True, cgroup_v1_controllers=())
    result = results_by_subject(CHECK, dataclasses.replace(lab_snapshot, host=host))["sysadmin"]
    assert result.status is Status.PASS
    assert result.evidence["host.cgroup_v2_unified"] is True


def test_apparmor_profile_confines_it(lab_snapshot):
    host = dataclasses.replace(lab_snapshot.host, apparmor_enabled=True)
    snapshot = replace_container(dataclasses.replace(lab_snapshot, host=host), "sysadmin",
                                 apparmor_profile="docker-default")
    result = results_by_subject(CHECK, snapshot)["sysadmin"]
    assert result.status is Status.PASS
    assert result.evidence["lsm.confines"] is True


def test_non_root_user_passes(lab_snapshot):
    snapshot = replace_container(lab_snapshot, "module-stopped", cap_add=("SYS_ADMIN",), user="1000")
    result = results_by_subject(CHECK, snapshot)["module-stopped"]
    assert result.status is Status.PASS
    assert result.evidence["user.declared"] == "1000"


def test_unknown_without_host_facts_or_docker(lab_snapshot):
    assert results_by_subject(CHECK, with_collector_error(lab_snapshot, "host"))["host"].status is Status.UNKNOWN
    assert_unknown_without_docker(CHECK, lab_snapshot)
