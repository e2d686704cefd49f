import dataclasses

from hostaudit.model import HostMount, Status
from tests.unit.conftest import load, results_by_subject, with_collector_error

CHECK = "host.docker_root_not_separate_partition"


def _result(snapshot):
    return results_by_subject(CHECK, snapshot)["host"]


def _mounts(snapshot, *mounts):
    return dataclasses.replace(snapshot, host=dataclasses.replace(snapshot.host, mounts=mounts))


def test_data_root_on_the_root_filesystem_fails():
    result = _result(load("host/unaudited-insiders-fail.json"))
    assert result.status is Status.FAIL
    assert result.evidence["mount_point"] == "/"
    assert result.evidence["api.docker_root_dir"] == "/var/lib/docker"


def test_data_root_on_its_own_filesystem_passes():
    result = _result(load("host/audited-host-passes.json"))
    assert result.status is Status.PASS
    assert result.evidence["mount_point"] == "/var/lib/docker"
    assert "partial" not in result.evidence


def test_separate_var_passes_and_says_it_is_partial():
    """docker-bench issue #555: a separate /var gave a false WARN; it is a separate filesystem, just a shared one."""
    snapshot = _mounts(load("host/audited-host-passes.json"), HostMount("/", "ext4", "/dev/vda1"),
                       HostMount("/var", "xfs", "/dev/vdb1"))
    result = _result(snapshot)
    assert result.status is Status.PASS
    assert result.evidence["mount_point"] == "/var"
    assert "/var" in result.evidence["partial"]


def test_bind_mount_of_the_root_device_is_not_a_partition(lab_snapshot):
    """dockerd bind-mounts its data root onto itself: same device as /, so no separate partition."""
    result = _result(lab_snapshot)
    assert result.status is Status.FAIL
    assert result.evidence["source"] == "/dev/vda"


def test_unknown_without_a_mount_table():
    result = _result(_mounts(load("host/audited-host-passes.json")))
    assert result.status is Status.UNKNOWN


def test_unknown_when_the_host_could_not_be_read(lab_snapshot):
    assert _result(with_collector_error(lab_snapshot, "host")).status is Status.UNKNOWN
