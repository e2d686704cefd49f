from hostaudit.model import Mount, Status
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

CHECK = "container.host_root_mounted"


def test_host_root_bind_fails(lab_snapshot):
    results = results_by_subject(CHECK, lab_snapshot)
    assert results["host-root"].status is Status.FAIL
    assert results["host-root"].evidence == {"mount.source": "/", "mount.destination": "/host", "mount.rw": True}
    assert results["shop/risky/app"].status is Status.FAIL


def test_other_mounts_pass(lab_snapshot):
    results = results_by_subject(CHECK, lab_snapshot)
    assert results["etc-ro"].status is Status.PASS
    assert results["hardened"].status is Status.PASS


def test_read_only_root_mount_still_fails_and_says_so(lab_snapshot):
    snapshot = replace_container(lab_snapshot, "hardened", mounts=(Mount("/", "/h", "bind", False),))
    assert results_by_subject(CHECK, snapshot)["hardened"].evidence["mount.rw"] is False


def test_unknown_when_docker_cannot_be_listed(lab_snapshot):
    assert_unknown_without_docker(CHECK, lab_snapshot)
