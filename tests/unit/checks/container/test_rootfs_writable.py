from hostaudit.model import Status
from tests.unit.conftest import assert_unknown_without_docker, results_by_subject

CHECK = "container.rootfs_writable"


def test_writable_and_read_only_roots(lab_snapshot):
    results = results_by_subject(CHECK, lab_snapshot)
    assert results["sysadmin"].status is Status.FAIL
    assert results["sysadmin"].evidence == {"readonly_rootfs": False}
    assert results["hardened"].status is Status.PASS
    assert results["shop/locked/web"].status is Status.PASS


def test_unknown_when_docker_cannot_be_listed(lab_snapshot):
    assert_unknown_without_docker(CHECK, lab_snapshot)
