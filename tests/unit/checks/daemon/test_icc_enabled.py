from hostaudit.model import Status
from tests.unit.checks.daemon._variants import with_daemon
from tests.unit.conftest import results_by_subject, with_collector_error

CHECK = "daemon.icc_enabled"


def test_default_is_icc_on(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["docker daemon"]
    assert result.status is Status.FAIL
    assert result.evidence == {"icc": True, "source": "default"}


def test_daemon_json_false_passes_and_names_the_file(lab_snapshot):
    result = results_by_subject(CHECK, with_daemon(lab_snapshot, config={"icc": False}))["docker daemon"]
    assert result.status is Status.PASS
    assert result.evidence["source"].startswith("daemon.json")


def test_command_line_wins_over_the_file(lab_snapshot):
    snapshot = with_daemon(lab_snapshot, config={"icc": False}, flags={"icc": ("true",)})
    result = results_by_subject(CHECK, snapshot)["docker daemon"]
    assert result.status is Status.FAIL
    assert result.evidence["source"] == "argv"


def test_unknown_when_the_daemon_could_not_be_read(lab_snapshot):
    result = results_by_subject(CHECK, with_collector_error(lab_snapshot, "docker_daemon"))["docker daemon"]
    assert result.status is Status.UNKNOWN
