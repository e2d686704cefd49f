from hostaudit.model import Status
from tests.unit.checks.daemon._variants import edited_after_start, with_daemon
from tests.unit.conftest import load, results_by_subject, with_collector_error

CHECK = "daemon.log_level_not_info"


def _result(snapshot):
    return results_by_subject(CHECK, snapshot)["docker daemon"]


def test_debug_on_the_command_line_fails_even_with_a_daemon_json():
    """docker-bench regression: --log-level=debug in argv passed whenever daemon.json could be read."""
    result = _result(load("daemon/weak-daemon-fails.json"))
    assert result.status is Status.FAIL
    assert result.evidence["log-level"] == "debug"
    assert result.evidence["source"] == "argv"
    assert result.evidence["effective"] == "debug"


def test_info_in_daemon_json_passes():
    result = _result(load("daemon/hardened-daemon-passes.json"))
    assert result.status is Status.PASS
    assert result.evidence["log-level"] == "info"
    assert result.evidence["source"].startswith("daemon.json")


def test_debug_flag_overrides_an_info_level(lab_snapshot):
    info = {**lab_snapshot.docker_daemon.info, "Debug": True}
    result = _result(with_daemon(lab_snapshot, config={"log-level": "info", "debug": True}, info=info))
    assert result.status is Status.FAIL
    assert result.evidence["effective"] == "debug"
    assert result.evidence["debug"] is True


def test_debug_in_daemon_json_that_the_running_daemon_does_not_show_is_drift_not_debug(lab_snapshot):
    """/info says Debug false: a "debug": true in daemon.json is not in force until dockerd restarts."""
    result = _result(with_daemon(lab_snapshot, config={"log-level": "info", "debug": True}))
    assert result.status is Status.PASS
    assert result.evidence["debug"] is False and result.evidence["daemon.json: debug"] is True
    assert "not in force until dockerd restarts" in result.evidence["drift"]


def test_log_level_edited_after_dockerd_started_is_unknown(lab_snapshot):
    result = _result(edited_after_start(lab_snapshot, {"log-level": "info"}))
    assert result.status is Status.UNKNOWN
    assert "not in force until dockerd restarts" in result.detail


def test_warn_level_loses_events_and_fails(lab_snapshot):
    result = _result(with_daemon(lab_snapshot, flags={"log-level": ("warn",)}))
    assert result.status is Status.FAIL
    assert result.evidence["effective"] == "warn"


def test_unknown_when_the_daemon_could_not_be_read(lab_snapshot):
    assert _result(with_collector_error(lab_snapshot, "docker_daemon")).status is Status.UNKNOWN
