"""Rows of the kernel-filesystem family: container.proc_sys_writable, container.sysfs_writable,
container.cgroupfs_writable."""

import pytest

from hostaudit.model import Status
from tests.unit.checks.container._proc import add_mounts, mount
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

ROWS = ("container.proc_sys_writable", "container.sysfs_writable", "container.cgroupfs_writable")


@pytest.mark.parametrize("check_id", ROWS)
def test_default_container_passes_from_its_mountinfo(lab_snapshot, check_id):
    result = results_by_subject(check_id, lab_snapshot)["etc-ro"]
    assert result.status is Status.PASS
    assert result.evidence == {"source": "/proc mountinfo", "writable_at": []}


@pytest.mark.parametrize("check_id", ROWS)
def test_created_privileged_container_fails_on_its_declaration(lab_snapshot, check_id):
    result = results_by_subject(check_id, lab_snapshot)["priv"]
    assert result.status is Status.FAIL
    assert result.evidence["source"] == "declared" and result.evidence["privileged.declared"] is True


@pytest.mark.parametrize("check_id", ROWS)
def test_host_root_bind_is_recursive_and_exposes_the_hosts_kernel_filesystems(lab_snapshot, check_id):
    result = results_by_subject(check_id, lab_snapshot)["host-root"]
    assert result.status is Status.FAIL
    assert all(place.startswith("/host/") for place in result.evidence["writable_at"])


def test_proc_sys_remounted_read_write_fails_even_when_declared_read_only(lab_snapshot):
    snapshot = add_mounts(lab_snapshot, "etc-ro", mount("/proc/sys", "proc", root="/sys"))
    result = results_by_subject("container.proc_sys_writable", snapshot)["etc-ro"]
    assert result.status is Status.FAIL
    assert result.evidence["writable_at"] == ["/proc/sys"]
    assert result.evidence["declared_writable"] is False  # the disagreement is evidence


def test_read_only_mount_over_a_writable_one_hides_it(lab_snapshot):
    snapshot = add_mounts(lab_snapshot, "etc-ro", mount("/sys", "sysfs"), mount("/sys", "sysfs", rw=False))
    assert results_by_subject("container.sysfs_writable", snapshot)["etc-ro"].status is Status.PASS


def test_cgroup_v1_controller_mounted_read_write(lab_snapshot):
    snapshot = add_mounts(lab_snapshot, "etc-ro", mount("/sys/fs/cgroup/memory", "cgroup", root="/docker/abc"))
    result = results_by_subject("container.cgroupfs_writable", snapshot)["etc-ro"]
    assert result.status is Status.FAIL
    assert result.evidence["writable_at"] == ["/sys/fs/cgroup/memory"]


def test_systempaths_unconfined_leaves_proc_sys_writable_when_stopped(lab_snapshot):
    snapshot = replace_container(lab_snapshot, "hardened", readonly_paths=None)
    result = results_by_subject("container.proc_sys_writable", snapshot)["hardened"]
    assert result.status is Status.FAIL
    assert result.evidence["readonly_paths"] is None
    assert results_by_subject("container.sysfs_writable", snapshot)["hardened"].status is Status.PASS


@pytest.mark.parametrize("check_id", ROWS)
def test_unknown_when_docker_cannot_be_listed(lab_snapshot, check_id):
    assert_unknown_without_docker(check_id, lab_snapshot)
