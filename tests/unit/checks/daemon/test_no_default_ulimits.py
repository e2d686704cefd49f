from hostaudit.model import Status
from tests.unit.checks.daemon._variants import with_daemon
from tests.unit.conftest import load, results_by_subject, with_collector_error

CHECK = "daemon.no_default_ulimits"


def _result(snapshot):
    return results_by_subject(CHECK, snapshot)["docker daemon"]


def test_no_default_ulimits_fails(lab_snapshot):
    result = _result(lab_snapshot)
    assert result.status is Status.FAIL
    assert result.evidence == {"default-ulimits": [], "source": "default"}


def test_ulimits_in_daemon_json_pass():
    result = _result(load("daemon/hardened-daemon-passes.json"))
    assert result.status is Status.PASS
    assert result.evidence["default-ulimits"] == ["nofile"]


def test_repeated_command_line_flags_pass(lab_snapshot):
    result = _result(with_daemon(lab_snapshot, flags={"default-ulimit": ("nofile=1024:2048", "nproc=512")}))
    assert result.status is Status.PASS
    assert result.evidence == {"default-ulimits": ["nofile=1024:2048", "nproc=512"], "source": "argv"}


def test_an_empty_object_in_daemon_json_fails(lab_snapshot):
    """docker-bench issue #537: jq's handling of an empty or null default-ulimits passed."""
    result = _result(with_daemon(lab_snapshot, config={"default-ulimits": {}}))
    assert result.status is Status.FAIL


def test_unknown_when_the_daemon_could_not_be_read(lab_snapshot):
    assert _result(with_collector_error(lab_snapshot, "docker_daemon")).status is Status.UNKNOWN
