from hostaudit.model import Status
from tests.unit.checks.daemon._variants import with_daemon
from tests.unit.conftest import load, results_by_subject, with_collector_error

CHECK = "daemon.experimental_enabled"


def _result(snapshot):
    return results_by_subject(CHECK, snapshot)["docker daemon"]


def test_experimental_on_fails_on_a_modern_engine():
    """docker-bench regression: its version gate turned this check into INFO on every engine after 19.03."""
    result = _result(load("daemon/weak-daemon-fails.json"))
    assert result.status is Status.FAIL
    assert result.evidence == {"experimental": True, "source": "argv"}  # dockerd --experimental


def test_experimental_off_passes(lab_snapshot):
    result = _result(lab_snapshot)
    assert result.status is Status.PASS
    assert result.evidence == {"experimental": False, "source": "api /info"}


def test_without_the_api_the_configuration_decides(lab_snapshot):
    result = _result(with_daemon(lab_snapshot, info=None, config={"experimental": True}))
    assert result.status is Status.FAIL
    assert result.evidence["source"].startswith("daemon.json")


def test_unknown_when_the_daemon_could_not_be_read(lab_snapshot):
    assert _result(with_collector_error(lab_snapshot, "docker_daemon")).status is Status.UNKNOWN
