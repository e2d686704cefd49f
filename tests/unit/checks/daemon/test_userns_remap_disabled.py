from hostaudit.model import Status
from tests.unit.checks.daemon._variants import with_daemon
from tests.unit.conftest import results_by_subject

CHECK = "daemon.userns_remap_disabled"


def test_no_remap_fails(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["docker daemon"]
    assert result.status is Status.FAIL
    assert result.evidence["rootless"] is False


def test_remap_and_rootless_pass(lab_snapshot):
    remapped = with_daemon(lab_snapshot, config={"userns-remap": "default"}, userns_remap=True)
    assert results_by_subject(CHECK, remapped)["docker daemon"].status is Status.PASS
    rootless = with_daemon(lab_snapshot, rootless=True)
    assert results_by_subject(CHECK, rootless)["docker daemon"].evidence["rootless"] is True
    assert results_by_subject(CHECK, rootless)["docker daemon"].status is Status.PASS
