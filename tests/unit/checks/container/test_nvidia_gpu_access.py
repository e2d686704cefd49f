import pytest

from hostaudit.model import Status
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

CHECK = "container.nvidia_gpu_access"


@pytest.mark.parametrize("setting", [{"device_requests": ("nvidia:gpu",)}, {"runtime": "nvidia"},
                                     {"hooks": ("/usr/bin/nvidia-container-runtime-hook",)},
                                     {"devices": ("/dev/nvidia0", "/dev/nvidiactl")}])
def test_nvidia_toolkit_in_use_fails(lab_snapshot, setting):
    result = results_by_subject(CHECK, replace_container(lab_snapshot, "etc-ro", **setting))["etc-ro"]
    assert result.status is Status.FAIL
    assert result.evidence["runtime"] == setting.get("runtime", "runc")


def test_gpus_requested_with_the_default_driver_fail(lab_snapshot):
    snapshot = replace_container(lab_snapshot, "etc-ro", device_requests=("default:gpu",))
    result = results_by_subject(CHECK, snapshot)["etc-ro"]
    assert result.status is Status.FAIL
    assert result.evidence["device_requests"] == ["default:gpu"]


def test_plain_runc_container_passes(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["etc-ro"]
    assert result.status is Status.PASS
    assert result.evidence == {"runtime": "runc", "device_requests": [], "hooks.nvidia": [], "devices.nvidia": []}


def test_unknown_when_docker_cannot_be_listed(lab_snapshot):
    assert_unknown_without_docker(CHECK, lab_snapshot)
