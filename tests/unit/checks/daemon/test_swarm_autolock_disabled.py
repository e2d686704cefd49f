from hostaudit.model import Status
from tests.unit.checks.daemon._swarm_variants import with_swarm
from tests.unit.conftest import load, results_by_subject

CHECK = "daemon.swarm_autolock_disabled"
KEY = "api.swarm.cluster.spec.encryption_config.auto_lock_managers"


def _result(snapshot):
    return results_by_subject(CHECK, snapshot)["docker daemon"]


def _manager(autolock):
    return {"LocalNodeState": "active", "ControlAvailable": True,
            "Cluster": {"Spec": {"EncryptionConfig": {"AutoLockManagers": autolock}}}}


def test_manager_without_autolock_fails():
    result = _result(load("daemon/weak-daemon-fails.json"))
    assert result.status is Status.FAIL
    assert result.evidence[KEY] is False


def test_manager_with_autolock_passes(lab_snapshot):
    result = _result(with_swarm(lab_snapshot, _manager(True)))
    assert result.status is Status.PASS
    assert result.evidence[KEY] is True


def test_no_swarm_is_not_applicable_never_a_free_pass(lab_snapshot):
    """docker-bench regression: every 7.x check passed when swarm mode was off."""
    result = _result(lab_snapshot)
    assert result.status is Status.NOT_APPLICABLE
    assert result.evidence == {"api.swarm.local_node_state": "inactive"}


def test_worker_is_not_applicable(lab_snapshot):
    result = _result(with_swarm(lab_snapshot, {"LocalNodeState": "active", "ControlAvailable": False}))
    assert result.status is Status.NOT_APPLICABLE
    assert result.evidence["api.swarm.control_available"] is False


def test_unknown_when_the_manager_does_not_report_the_setting(lab_snapshot):
    result = _result(with_swarm(lab_snapshot, {"LocalNodeState": "active", "ControlAvailable": True}))
    assert result.status is Status.UNKNOWN
