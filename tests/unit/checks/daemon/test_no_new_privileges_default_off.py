import pytest

from hostaudit.model import Status
from tests.unit.checks.daemon._variants import with_daemon
from tests.unit.conftest import results_by_subject

CHECK = "daemon.no_new_privileges_default_off"


def test_default_off_fails(lab_snapshot):
    assert results_by_subject(CHECK, lab_snapshot)["docker daemon"].status is Status.FAIL


@pytest.mark.parametrize(("value", "status"), [(True, Status.PASS), (False, Status.FAIL), ("true", Status.FAIL)])
def test_only_a_real_true_in_daemon_json_passes(lab_snapshot, value, status):
    snapshot = with_daemon(lab_snapshot, config={"no-new-privileges": value})
    assert results_by_subject(CHECK, snapshot)["docker daemon"].status is status


def test_command_line_flag_counts(lab_snapshot):
    snapshot = with_daemon(lab_snapshot, flags={"no-new-privileges": ("true",)})
    assert results_by_subject(CHECK, snapshot)["docker daemon"].evidence["source"] == "argv"
    assert results_by_subject(CHECK, snapshot)["docker daemon"].status is Status.PASS
