from hostaudit.model import Status
from hostaudit.parsers import parse_dockerd_argv
from tests.unit.checks.daemon._variants import edited_after_start, with_daemon
from tests.unit.conftest import load, results_by_subject, with_collector_error

CHECK = "daemon.userland_proxy_enabled"


def _result(snapshot):
    return results_by_subject(CHECK, snapshot)["docker daemon"]


def _argv(snapshot, *args):
    argv = ("dockerd", *args)
    return with_daemon(snapshot, argv=argv, flags=parse_dockerd_argv(argv))


def test_space_form_is_not_a_boolean_value_and_fails(lab_snapshot):
    """'--userland-proxy false' sets the Go bool flag to true; 'false' is a stray argument."""
    result = _result(load("daemon/weak-daemon-fails.json"))
    assert result.status is Status.FAIL
    assert result.evidence["userland-proxy"] is True
    assert result.evidence["argv"] == ["--userland-proxy"]


def test_equals_form_on_the_command_line_passes(lab_snapshot):
    result = _result(_argv(lab_snapshot, "--userland-proxy=false"))
    assert result.status is Status.PASS
    assert result.evidence == {"userland-proxy": False, "source": "argv", "argv": ["--userland-proxy=false"]}


def test_false_in_daemon_json_passes():
    result = _result(load("daemon/hardened-daemon-passes.json"))
    assert result.status is Status.PASS
    assert result.evidence["source"].startswith("daemon.json")


def test_default_fails(lab_snapshot):
    result = _result(lab_snapshot)
    assert result.status is Status.FAIL
    assert result.evidence["source"] == "default"


def test_unknown_when_the_daemon_could_not_be_read(lab_snapshot):
    assert _result(with_collector_error(lab_snapshot, "docker_daemon")).status is Status.UNKNOWN


def test_false_in_daemon_json_written_after_dockerd_started_is_unknown_not_pass(lab_snapshot):
    result = results_by_subject(CHECK, edited_after_start(lab_snapshot, {"userland-proxy": False}))["docker daemon"]
    assert result.status is Status.UNKNOWN
    assert result.evidence["daemon.json: userland-proxy"] is False


def test_docker_proxy_processes_show_the_proxy_in_force_whatever_daemon_json_says(lab_snapshot):
    snapshot = edited_after_start(lab_snapshot, {"userland-proxy": False}, proxy_processes=2)
    result = results_by_subject(CHECK, snapshot)["docker daemon"]
    assert result.status is Status.FAIL
    assert result.evidence["source"] == "2 docker-proxy process(es) of dockerd"
