from hostaudit.model import Status
from tests.unit.checks.daemon._variants import with_daemon
from tests.unit.conftest import load, results_by_subject

CHECK = "daemon.image_sprawl"


def _result(snapshot):
    return results_by_subject(CHECK, snapshot)["docker daemon"]


def test_many_unused_images_fail():
    result = _result(load("daemon/weak-daemon-fails.json"))
    assert result.status is Status.FAIL
    assert result.evidence["api.images"] == 40
    assert result.evidence["unused_images"] == 40


def test_few_images_pass():
    result = _result(load("daemon/hardened-daemon-passes.json"))
    assert result.status is Status.PASS
    assert result.evidence["unused_images"] == 3


def test_unknown_when_the_snapshot_has_no_count(lab_snapshot):
    uncounted = with_daemon(lab_snapshot, image_count=None, container_count=None, stopped_container_count=None)
    result = _result(uncounted)  # /info answered without the counts
    assert result.status is Status.UNKNOWN
    assert result.evidence["api.images"] is None
