from hostaudit.model import Status
from tests.unit.checks.container._lsm_variants import with_host
from tests.unit.conftest import replace_container, results_by_subject

CHECK = "container.apparmor_unconfined"


def test_not_applicable_without_apparmor_on_the_host(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["hardened"]
    assert result.status is Status.NOT_APPLICABLE
    assert result.evidence == {"host.apparmor_enabled": False}


def test_unconfined_fails_and_docker_default_passes_on_an_apparmor_host(lab_snapshot):
    snapshot = with_host(lab_snapshot, apparmor_enabled=True)
    snapshot = replace_container(snapshot, "hardened", apparmor_profile="docker-default")
    snapshot = replace_container(snapshot, "sysadmin", apparmor_profile="unconfined")
    results = results_by_subject(CHECK, snapshot)
    assert results["hardened"].status is Status.PASS
    assert results["sysadmin"].status is Status.FAIL
    assert results["sysadmin"].evidence["apparmor.declared"] == "unconfined"


def test_proc_label_wins_over_the_declaration(lab_snapshot):
    import dataclasses

    snapshot = with_host(lab_snapshot, apparmor_enabled=True)
    key = "docker:host-pid"
    snapshot = dataclasses.replace(snapshot, runtime={
        **snapshot.runtime, key: dataclasses.replace(snapshot.runtime[key], lsm_label="unconfined")})
    result = results_by_subject(CHECK, snapshot)["host-pid"]
    assert result.status is Status.FAIL
    assert result.evidence["apparmor.proc"] == "unconfined"
