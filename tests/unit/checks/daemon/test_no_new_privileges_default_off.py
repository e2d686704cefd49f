import dataclasses

import pytest

from hostaudit.model import Status
from tests.unit.checks.daemon._variants import edited_after_start, with_daemon
from tests.unit.conftest import results_by_subject

CHECK = "daemon.no_new_privileges_default_off"


def test_default_off_fails(lab_snapshot):
    assert results_by_subject(CHECK, lab_snapshot)["docker daemon"].status is Status.FAIL


@pytest.mark.parametrize(("value", "status"), [(True, Status.PASS), (False, Status.FAIL), ("true", Status.FAIL)])
def test_only_a_real_true_in_daemon_json_passes(lab_snapshot, value, status):
    # without running containers, the daemon does not show its default: daemon.json (unchanged since start) decides
    snapshot = with_daemon(dataclasses.replace(lab_snapshot, containers=()), config={"no-new-privileges": value})
    assert results_by_subject(CHECK, snapshot)["docker daemon"].status is status


def test_command_line_flag_counts(lab_snapshot):
    snapshot = with_daemon(lab_snapshot, flags={"no-new-privileges": ("true",)})
    assert results_by_subject(CHECK, snapshot)["docker daemon"].evidence["source"] == "argv"
    assert results_by_subject(CHECK, snapshot)["docker daemon"].status is Status.PASS


def test_true_in_daemon_json_written_after_dockerd_started_is_unknown_not_pass(lab_snapshot):
    hardened_only = dataclasses.replace(lab_snapshot, containers=())
    result = results_by_subject(CHECK, edited_after_start(hardened_only, {"no-new-privileges": True}))["docker daemon"]
    assert result.status is Status.UNKNOWN
    assert "not in force until dockerd restarts" in result.detail
    assert result.evidence["daemon.json: no-new-privileges"] is True


def test_running_containers_without_no_new_privs_show_the_default_is_off_whatever_daemon_json_says(lab_snapshot):
    """The lab's running containers that do not opt in have NoNewPrivs 0 in /proc: the default in force is off."""
    result = results_by_subject(CHECK, edited_after_start(lab_snapshot, {"no-new-privileges": True}))["docker daemon"]
    assert result.status is Status.FAIL
    assert result.evidence["source"].startswith("/proc NoNewPrivs 0")
    assert result.evidence["daemon.json: no-new-privileges"] is True
