from hostaudit.model import Status
from tests.unit.checks.daemon._variants import with_daemon
from tests.unit.conftest import load, results_by_subject

CHECK = "daemon.container_sprawl"


def _result(snapshot):
    return results_by_subject(CHECK, snapshot)["docker daemon"]


def test_many_stopped_containers_fail():
    result = _result(load("daemon/weak-daemon-fails.json"))
    assert result.status is Status.FAIL
    assert result.evidence["api.containers_stopped"] == 30


def test_few_stopped_containers_pass():
    result = _result(load("daemon/hardened-daemon-passes.json"))
    assert result.status is Status.PASS
    assert result.evidence == {"api.containers": 4, "api.containers_stopped": 1, "limit_stopped": 25}


def test_unknown_when_the_snapshot_has_no_count(lab_snapshot):
    uncounted = with_daemon(lab_snapshot, image_count=None, container_count=None, stopped_container_count=None)
    assert _result(uncounted).status is Status.UNKNOWN
