import dataclasses

import pytest

from hostaudit.model import Status
from tests.unit.conftest import replace_container, results_by_subject

CHECK = "container.rootless_owner_exposed"
SUBORDINATE = (100999, 100999, 100999, 100999)  # a subuid of alice's range, not alice


def _rootless_process(snapshot, name: str, **proc_changes):
    """`name` run by alice's rootless engine, its /proc facts changed."""
    key = next(c.key for c in snapshot.containers if c.name == name)
    proc = dataclasses.replace(snapshot.runtime[key], **proc_changes)
    changed = replace_container(snapshot, name, owner="alice", owner_uid=1000)  # (drops the /proc view)
    return dataclasses.replace(changed, runtime={**changed.runtime, key: proc})


def test_rootless_engine_container_fails_with_its_user(lab_snapshot):
    snapshot = replace_container(lab_snapshot, "priv", owner="alice", owner_uid=1000)
    result = results_by_subject(CHECK, snapshot)["priv"]
    assert result.status is Status.FAIL
    assert result.evidence["engine.user"] == "alice" and result.evidence["engine.uid"] == 1000


def test_a_subordinate_uid_without_capabilities_and_with_no_new_privs_holds_none_of_the_users_power(lab_snapshot):
    snapshot = _rootless_process(lab_snapshot, "hardened", uid=SUBORDINATE, cap_eff=0, cap_prm=0, no_new_privs=True)
    assert results_by_subject(CHECK, snapshot)["hardened"].status is Status.PASS


@pytest.mark.parametrize("changes", [
    {"uid": (1000, 1000, 1000, 1000)},  # container root: the user itself
    {"cap_eff": 1 << 21},  # a capability left
    {"no_new_privs": False},  # a setuid binary leads back to container root
    {"no_new_privs": None},  # not read
])
def test_any_way_back_to_the_user_fails(lab_snapshot, changes):
    safe = {"uid": SUBORDINATE, "cap_eff": 0, "cap_prm": 0, "no_new_privs": True}
    snapshot = _rootless_process(lab_snapshot, "hardened", **(safe | changes))
    assert results_by_subject(CHECK, snapshot)["hardened"].status is Status.FAIL


def test_a_container_without_process_facts_fails(lab_snapshot):
    snapshot = replace_container(lab_snapshot, "hardened-stopped", owner="alice", owner_uid=1000)
    assert results_by_subject(CHECK, snapshot)["hardened-stopped"].status is Status.FAIL


def test_rootful_engine_is_not_applicable(lab_snapshot):
    snapshot = replace_container(lab_snapshot, "hardened", owner="root", owner_uid=0)
    assert results_by_subject(CHECK, snapshot)["hardened"].status is Status.NOT_APPLICABLE


def test_unknown_owner_is_not_taken_for_rootless(lab_snapshot):
    assert results_by_subject(CHECK, lab_snapshot)["sysadmin"].status is Status.NOT_APPLICABLE
