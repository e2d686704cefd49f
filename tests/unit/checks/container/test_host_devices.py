"""Rows of the host-device family: container.block_device_exposed, container.memory_device_exposed,
container.kmsg_exposed."""

import pytest

from hostaudit.model import Status
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

ROWS = {
    "container.block_device_exposed": ("/dev/nvme0n1p2", "block"),
    "container.memory_device_exposed": ("/dev/mem", "memory"),
    "container.kmsg_exposed": ("/dev/kmsg", "kmsg"),
}


@pytest.mark.parametrize("check_id", sorted(ROWS))
def test_container_given_the_device_fails(lab_snapshot, check_id):
    device, kind = ROWS[check_id]
    snapshot = replace_container(lab_snapshot, "etc-ro", devices=("/dev/ttyUSB0", device))
    result = results_by_subject(check_id, snapshot)["etc-ro"]
    assert result.status is Status.FAIL
    assert result.evidence[f"devices.{kind}"] == [device]


@pytest.mark.parametrize("check_id", sorted(ROWS))
def test_other_devices_pass(lab_snapshot, check_id):
    snapshot = replace_container(lab_snapshot, "etc-ro", devices=("/dev/ttyUSB0", "/dev/fuse", "/dev/snd/pcm0"))
    result = results_by_subject(check_id, snapshot)["etc-ro"]
    assert result.status is Status.PASS
    assert result.evidence["devices"] == ["/dev/ttyUSB0", "/dev/fuse", "/dev/snd/pcm0"]


@pytest.mark.parametrize("device", ["/dev/sda", "/dev/vdb1", "/dev/dm-0", "/dev/mapper/vg-root", "/dev/loop3"])
def test_disk_names(lab_snapshot, device):
    snapshot = replace_container(lab_snapshot, "etc-ro", devices=(device,))
    assert results_by_subject("container.block_device_exposed", snapshot)["etc-ro"].status is Status.FAIL


@pytest.mark.parametrize("check_id", sorted(ROWS))
def test_unknown_when_docker_cannot_be_listed(lab_snapshot, check_id):
    assert_unknown_without_docker(check_id, lab_snapshot)
