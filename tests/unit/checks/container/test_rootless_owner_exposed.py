from hostaudit.model import Status
from tests.unit.conftest import replace_container, results_by_subject

CHECK = "container.rootless_owner_exposed"


def test_rootless_engine_container_fails_with_its_user(lab_snapshot):
    snapshot = replace_container(lab_snapshot, "hardened", owner="alice", owner_uid=1000)
    result = results_by_subject(CHECK, snapshot)["hardened"]
    assert result.status is Status.FAIL
    assert result.evidence == {"engine": "docker", "engine.user": "alice", "engine.uid": 1000}


def test_rootful_engine_is_not_applicable(lab_snapshot):
    snapshot = replace_container(lab_snapshot, "hardened", owner="root", owner_uid=0)
    assert results_by_subject(CHECK, snapshot)["hardened"].status is Status.NOT_APPLICABLE


def test_unknown_owner_is_not_taken_for_rootless(lab_snapshot):
    assert results_by_subject(CHECK, lab_snapshot)["sysadmin"].status is Status.NOT_APPLICABLE
