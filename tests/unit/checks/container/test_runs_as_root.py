import pytest

from hostaudit.model import Status
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

CHECK = "container.runs_as_root"


def test_proc_uid_decides_for_running_containers(lab_snapshot):
    results = results_by_subject(CHECK, lab_snapshot)
    assert results["sysadmin"].status is Status.FAIL
    assert results["sysadmin"].evidence["user.proc_uid"] == 0
    assert results["hardened"].status is Status.PASS


@pytest.mark.parametrize(("user", "root"), [("", True), ("0", True), ("root", True), ("0:0", True),
                                            ("root:1000", True), ("1000", False), ("app:app", False)])
def test_declared_user_of_stopped_containers(lab_snapshot, user, root):
    snapshot = replace_container(lab_snapshot, "hardened-stopped", user=user)
    status = results_by_subject(CHECK, snapshot)["hardened-stopped"].status
    assert status is (Status.FAIL if root else Status.PASS)


def test_unknown_when_docker_cannot_be_listed(lab_snapshot):
    assert_unknown_without_docker(CHECK, lab_snapshot)
