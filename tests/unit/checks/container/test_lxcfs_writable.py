import dataclasses

import pytest

from hostaudit.model import HostMount, Mount, Status
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


def test_a_root_mount_exposes_lxcfs_only_where_the_host_runs_it(lab_snapshot):
    root = (Mount("/", "/host", "bind", True),)
    snapshot = replace_container(lab_snapshot, "hardened-stopped", mounts=root)
    result = results_by_subject(CHECK, snapshot)["hardened-stopped"]
    assert result.status is Status.PASS
    assert result.evidence["host.lxcfs_mounted"] is False
    lxcfs = HostMount("/var/lib/lxcfs", "fuse.lxcfs", "lxcfs")
    with_lxcfs = dataclasses.replace(snapshot, host=dataclasses.replace(
        snapshot.host, mounts=(*snapshot.host.mounts, lxcfs)))
    assert results_by_subject(CHECK, with_lxcfs)["hardened-stopped"].status is Status.FAIL


@pytest.mark.parametrize(("source", "rw", "status"), [
    ("/var/lib/lxcfs/proc/meminfo", True, Status.FAIL),  # the usual -v /var/lib/lxcfs/proc/meminfo:/proc/meminfo
    ("/var/lib/lxcfs/", True, Status.FAIL),
    ("/var/lib/lxcfs/proc/meminfo", False, Status.PASS),
    ("/var/lib/lxcfs-backup", True, Status.PASS),  # a sibling directory, not lxcfs
])
def test_declared_lxcfs_sources_of_a_stopped_container(lab_snapshot, source, rw, status):
    binds = (Mount(source, "/proc/meminfo", "bind", rw),)
    result = results_by_subject(CHECK, replace_container(lab_snapshot, "hardened-stopped", mounts=binds))
    assert result["hardened-stopped"].status is status
    assert result["hardened-stopped"].evidence["lxcfs.declared_rw"] == ([source] if status is Status.FAIL else [])
