from hostaudit.model import Status
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

CHECK = "container.seccomp_unconfined"


def test_unconfined_container_fails_on_proc_mode(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["no-seccomp"]
    assert result.status is Status.FAIL
    assert result.evidence == {"seccomp.declared": "unconfined", "seccomp.proc_mode": 0}


def test_filtered_containers_pass(lab_snapshot):
    results = results_by_subject(CHECK, lab_snapshot)
    assert results["hardened"].evidence["seccomp.proc_mode"] == 2
    assert results["hardened"].status is Status.PASS
    assert results["shop/locked/web"].status is Status.PASS


def test_stopped_container_is_judged_on_its_declaration(lab_snapshot):
    snapshot = replace_container(lab_snapshot, "hardened-stopped", seccomp="unconfined")
    assert results_by_subject(CHECK, snapshot)["hardened-stopped"].status is Status.FAIL
    assert results_by_subject(CHECK, lab_snapshot)["priv"].status is Status.FAIL


def test_unknown_when_docker_cannot_be_listed(lab_snapshot):
    assert_unknown_without_docker(CHECK, lab_snapshot)
