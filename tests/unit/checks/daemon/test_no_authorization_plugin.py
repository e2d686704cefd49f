from hostaudit.model import Status
from tests.unit.checks.daemon._variants import with_daemon
from tests.unit.conftest import results_by_subject

CHECK = "daemon.no_authorization_plugin"


def test_no_plugin_fails(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["docker daemon"]
    assert result.status is Status.FAIL
    assert result.evidence["api.plugins.authorization"] == []


def test_plugin_reported_by_the_api_or_configured_passes(lab_snapshot):
    info = {**lab_snapshot.docker_daemon.info, "Plugins": {"Authorization": ["opa-docker-authz"]}}
    assert results_by_subject(CHECK, with_daemon(lab_snapshot, info=info))["docker daemon"].status is Status.PASS
    flagged = with_daemon(lab_snapshot, flags={"authorization-plugin": ("authz",)})
    assert results_by_subject(CHECK, flagged)["docker daemon"].evidence["source"] == "argv"
