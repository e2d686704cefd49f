from hostaudit.model import Status
from tests.unit.conftest import load, results_by_subject, with_collector_error

CHECK = "daemon.iptables_disabled"


def _result(snapshot):
    return results_by_subject(CHECK, snapshot)["docker daemon"]


def test_iptables_false_on_the_command_line_fails(lab_snapshot):
    result = _result(lab_snapshot)  # the lab daemon runs with --iptables=false
    assert result.status is Status.FAIL
    assert result.evidence == {"iptables": False, "source": "argv"}


def test_default_passes():
    result = _result(load("daemon/hardened-daemon-passes.json"))
    assert result.status is Status.PASS
    assert result.evidence == {"iptables": True, "source": "default"}


def test_unknown_when_the_daemon_could_not_be_read(lab_snapshot):
    assert _result(with_collector_error(lab_snapshot, "docker_daemon")).status is Status.UNKNOWN
