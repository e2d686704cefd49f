from hostaudit.model import Status
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

CHECK = "container.ptrace_host_pid"


def test_sys_ptrace_in_the_host_pid_namespace_fails_by_inode(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["ptrace-pid"]
    assert result.status is Status.FAIL
    assert result.evidence["capabilities.has_SYS_PTRACE"] is True
    assert result.evidence["namespaces.pid.effective"].startswith("pid:[")


def test_host_pid_without_sys_ptrace_passes(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["host-pid"]
    assert result.status is Status.PASS
    assert result.evidence["capabilities.has_SYS_PTRACE"] is False


def test_sys_ptrace_in_a_private_pid_namespace_passes(lab_snapshot):
    snapshot = replace_container(lab_snapshot, "hardened-stopped", cap_add=("SYS_PTRACE",))
    result = results_by_subject(CHECK, snapshot)["hardened-stopped"]
    assert result.status is Status.PASS
    assert result.evidence["namespaces.pid.declared"] == "private"


def test_joined_pid_namespace_of_a_stopped_container_is_unknown(lab_snapshot):
    snapshot = replace_container(lab_snapshot, "module-stopped", cap_add=("SYS_PTRACE",),
                                 namespaces={**{"pid": "container:ptrace-pid"}})
    assert results_by_subject(CHECK, snapshot)["module-stopped"].status is Status.UNKNOWN
    assert_unknown_without_docker(CHECK, lab_snapshot)
