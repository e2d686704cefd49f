import dataclasses

from hostaudit.model import Status
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

CHECK = "container.no_new_privileges_unset"


def test_proc_flag_decides_for_running_containers(lab_snapshot):
    results = results_by_subject(CHECK, lab_snapshot)
    assert results["sysadmin"].status is Status.FAIL
    assert results["sysadmin"].evidence["no_new_privileges.proc"] is False
    assert results["hardened"].status is Status.PASS
    assert results["hardened"].evidence["no_new_privileges.proc"] is True


def test_daemon_default_covers_stopped_containers(lab_snapshot):
    config = dataclasses.replace(lab_snapshot.docker_daemon.config, data={"no-new-privileges": True})
    daemon = dataclasses.replace(lab_snapshot.docker_daemon, config=config)
    result = results_by_subject(CHECK, dataclasses.replace(lab_snapshot, docker_daemon=daemon))["module-stopped"]
    assert result.status is Status.PASS
    assert result.evidence["no_new_privileges.daemon_default"] is True


def test_explicit_false_is_not_enabled(lab_snapshot):
    snapshot = replace_container(lab_snapshot, "hardened-stopped", no_new_privileges=False)
    assert results_by_subject(CHECK, snapshot)["hardened-stopped"].status is Status.FAIL


def test_unknown_when_docker_cannot_be_listed(lab_snapshot):
    assert_unknown_without_docker(CHECK, lab_snapshot)
