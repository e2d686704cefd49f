from hostaudit.model import Status
from tests.unit.checks.daemon._variants import with_daemon
from tests.unit.conftest import load, results_by_subject, with_collector_error

CHECK = "daemon.cgroup_parent_set"


def _result(snapshot):
    return results_by_subject(CHECK, snapshot)["docker daemon"]


def test_cgroup_parent_in_daemon_json_fails():
    """docker-bench regression: a cgroup-parent in daemon.json was never seen."""
    result = _result(load("daemon/weak-daemon-fails.json"))
    assert result.status is Status.FAIL
    assert result.evidence["cgroup-parent"] == "/custom"
    assert result.evidence["source"].startswith("daemon.json")


def test_cgroup_parent_on_the_command_line_fails(lab_snapshot):
    result = _result(with_daemon(lab_snapshot, flags={"cgroup-parent": ("/batch",)}))
    assert result.status is Status.FAIL
    assert result.evidence == {"cgroup-parent": "/batch", "source": "argv"}


def test_default_passes(lab_snapshot):
    result = _result(lab_snapshot)
    assert result.status is Status.PASS
    assert result.evidence == {"cgroup-parent": "", "source": "default"}


def test_unknown_when_the_daemon_could_not_be_read(lab_snapshot):
    assert _result(with_collector_error(lab_snapshot, "docker_daemon")).status is Status.UNKNOWN
