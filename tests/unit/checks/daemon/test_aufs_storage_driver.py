from hostaudit.model import Status
from tests.unit.checks.daemon._variants import with_daemon
from tests.unit.conftest import load, results_by_subject

CHECK = "daemon.aufs_storage_driver"


def _result(snapshot):
    return results_by_subject(CHECK, snapshot)["docker daemon"]


def test_aufs_fails():
    result = _result(load("daemon/weak-daemon-fails.json"))
    assert result.status is Status.FAIL
    assert result.evidence == {"storage-driver": "aufs", "source": "api /info"}


def test_overlay2_passes(lab_snapshot):
    result = _result(lab_snapshot)
    assert result.status is Status.PASS
    assert result.evidence["storage-driver"] == "overlay2"


def test_unknown_without_the_api_or_a_configured_driver(lab_snapshot):
    result = _result(with_daemon(lab_snapshot, info=None))
    assert result.status is Status.UNKNOWN
    assert result.evidence["storage-driver"] is None
