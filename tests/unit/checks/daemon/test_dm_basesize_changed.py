from hostaudit.model import Status
from tests.unit.checks.daemon._variants import with_daemon
from tests.unit.conftest import results_by_subject

CHECK = "daemon.dm_basesize_changed"


def _result(snapshot):
    return results_by_subject(CHECK, snapshot)["docker daemon"]


def _devicemapper(snapshot, **changes):
    return with_daemon(snapshot, info={**snapshot.docker_daemon.info, "Driver": "devicemapper"}, **changes)


def test_basesize_on_devicemapper_fails(lab_snapshot):
    result = _result(_devicemapper(lab_snapshot, config={"storage-opts": ["dm.basesize=50G"]}))
    assert result.status is Status.FAIL
    assert result.evidence["dm.basesize"] == ["dm.basesize=50G"]


def test_devicemapper_without_basesize_passes(lab_snapshot):
    result = _result(_devicemapper(lab_snapshot, flags={"storage-opt": ("dm.thinpooldev=/dev/mapper/pool",)}))
    assert result.status is Status.PASS
    assert result.evidence["storage-opts"] == ["dm.thinpooldev=/dev/mapper/pool"]


def test_not_applicable_on_overlay2(lab_snapshot):
    result = _result(with_daemon(lab_snapshot, config={"storage-opts": ["dm.basesize=50G"]}))
    assert result.status is Status.NOT_APPLICABLE
    assert result.evidence["storage-driver"] == "overlay2"
