from hostaudit.model import Status, TcpListener
from tests.unit.checks.daemon._swarm_variants import with_swarm
from tests.unit.conftest import load, results_by_subject

CHECK = "daemon.swarm_port_on_all_interfaces"
ACTIVE = {"LocalNodeState": "active", "ControlAvailable": True}


def _result(snapshot):
    return results_by_subject(CHECK, snapshot)["docker daemon"]


def test_wildcard_listener_fails():
    result = _result(load("daemon/weak-daemon-fails.json"))
    assert result.status is Status.FAIL
    assert result.evidence["listeners"] == ["0.0.0.0:2377"]


def test_listener_on_one_address_passes(lab_snapshot):
    listener = TcpListener("10.1.2.3", 2377, False, False, "listening")
    result = _result(with_swarm(lab_snapshot, ACTIVE, tcp_listeners=(listener,)))
    assert result.status is Status.PASS
    assert result.evidence["listeners"] == ["10.1.2.3:2377"]


def test_no_swarm_is_not_applicable(lab_snapshot):
    assert _result(lab_snapshot).status is Status.NOT_APPLICABLE


def test_unknown_when_no_listener_was_seen(lab_snapshot):
    result = _result(with_swarm(lab_snapshot, ACTIVE, tcp_listeners=()))
    assert result.status is Status.UNKNOWN
    assert result.evidence["listeners"] == []
