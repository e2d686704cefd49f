from hostaudit.model import Status
from tests.unit.checks.daemon._variants import with_daemon
from tests.unit.conftest import load, results_by_subject, with_collector_error

CHECK = "daemon.logs_kept_local"


def _result(snapshot):
    return results_by_subject(CHECK, snapshot)["docker daemon"]


def test_json_file_fails(lab_snapshot):
    result = _result(lab_snapshot)
    assert result.status is Status.FAIL
    assert result.evidence == {"log-driver": "json-file", "source": "api /info"}


def test_local_driver_fails_too(lab_snapshot):
    """docker-bench passed `local`, which keeps logs on the host just like json-file."""
    result = _result(with_daemon(lab_snapshot, info={**lab_snapshot.docker_daemon.info, "LoggingDriver": "local"}))
    assert result.status is Status.FAIL
    assert result.evidence["log-driver"] == "local"


def test_syslog_passes():
    result = _result(load("daemon/hardened-daemon-passes.json"))
    assert result.status is Status.PASS
    assert result.evidence["log-driver"] == "syslog"


def test_unknown_when_the_daemon_could_not_be_read(lab_snapshot):
    assert _result(with_collector_error(lab_snapshot, "docker_daemon")).status is Status.UNKNOWN
