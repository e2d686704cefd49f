from hostaudit.model import Mount, Status
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

CHECK = "container.sensitive_mount"


def test_read_only_etc_mount_fails(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["etc-ro"]
    assert result.status is Status.FAIL
    assert result.evidence["mounts"] == [{"source": "/etc", "destination": "/hostetc", "rw": False}]


def test_sub_paths_count_and_look_alikes_do_not(lab_snapshot):
    shadow = replace_container(lab_snapshot, "hardened", mounts=(Mount("/etc/shadow", "/s", "bind", False),))
    assert results_by_subject(CHECK, shadow)["hardened"].status is Status.FAIL
    lookalike = replace_container(lab_snapshot, "hardened", mounts=(Mount("/etcetera", "/e", "bind", True),
                                                                     Mount("/srv/data", "/d", "bind", True)))
    assert results_by_subject(CHECK, lookalike)["hardened"].status is Status.PASS


def test_unknown_when_docker_cannot_be_listed(lab_snapshot):
    assert_unknown_without_docker(CHECK, lab_snapshot)
