from hostaudit.model import Mount, Status
from tests.unit.checks.container._proc import add_mounts, mount
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

CHECK = "container.lxcfs_writable"


def test_read_write_lxcfs_in_mountinfo_fails(lab_snapshot):
    snapshot = add_mounts(lab_snapshot, "etc-ro", mount("/proc/meminfo", "fuse.lxcfs"))
    result = results_by_subject(CHECK, snapshot)["etc-ro"]
    assert result.status is Status.FAIL
    assert result.evidence["lxcfs.mountinfo_rw"] == ["/proc/meminfo"]


def test_read_only_lxcfs_passes(lab_snapshot):
    snapshot = add_mounts(lab_snapshot, "etc-ro", mount("/proc/meminfo", "fuse.lxcfs", rw=False))
    result = results_by_subject(CHECK, snapshot)["etc-ro"]
    assert result.status is Status.PASS
    assert result.evidence["lxcfs.mountinfo_rw"] == []


def test_declared_read_write_lxcfs_bind_of_a_stopped_container_fails(lab_snapshot):
    binds = (Mount("/var/lib/lxcfs", "/var/lib/lxcfs", "bind", True),)
    result = results_by_subject(CHECK, replace_container(lab_snapshot, "hardened-stopped", mounts=binds))
    assert result["hardened-stopped"].status is Status.FAIL
    assert result["hardened-stopped"].evidence["lxcfs.declared_rw"] == ["/var/lib/lxcfs"]


def test_unknown_when_docker_cannot_be_listed(lab_snapshot):
    assert_unknown_without_docker(CHECK, lab_snapshot)
