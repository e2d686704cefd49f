from hostaudit.model import Status
from tests.unit.checks.daemon._variants import with_daemon
from tests.unit.conftest import results_by_subject

CHECK = "daemon.live_restore_disabled"


def test_api_info_decides(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["docker daemon"]
    assert result.status is Status.FAIL
    assert result.evidence["source"] == "api /info"
    info = {**lab_snapshot.docker_daemon.info, "LiveRestoreEnabled": True}
    assert results_by_subject(CHECK, with_daemon(lab_snapshot, info=info))["docker daemon"].status is Status.PASS


def test_not_applicable_in_swarm_mode(lab_snapshot):
    info = {**lab_snapshot.docker_daemon.info, "Swarm": {"LocalNodeState": "active"}}
    result = results_by_subject(CHECK, with_daemon(lab_snapshot, info=info))["docker daemon"]
    assert result.status is Status.NOT_APPLICABLE
