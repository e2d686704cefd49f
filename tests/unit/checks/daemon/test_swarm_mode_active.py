import pytest

from hostaudit.model import Status
from tests.unit.checks.daemon._swarm_variants import with_swarm
from tests.unit.conftest import load, results_by_subject

CHECK = "daemon.swarm_mode_active"


def _result(snapshot):
    return results_by_subject(CHECK, snapshot)["docker daemon"]


def test_active_swarm_fails():
    result = _result(load("daemon/weak-daemon-fails.json"))
    assert result.status is Status.FAIL
    assert result.evidence == {"api.swarm.local_node_state": "active"}


@pytest.mark.parametrize("state", ["locked", "pending"])
def test_locked_or_joining_nodes_are_in_a_swarm(lab_snapshot, state):
    assert _result(with_swarm(lab_snapshot, {"LocalNodeState": state})).status is Status.FAIL


def test_inactive_passes(lab_snapshot):
    result = _result(lab_snapshot)
    assert result.status is Status.PASS
    assert result.evidence == {"api.swarm.local_node_state": "inactive"}


def test_unknown_without_the_api(lab_snapshot):
    assert _result(with_swarm(lab_snapshot, {})).status is Status.UNKNOWN
