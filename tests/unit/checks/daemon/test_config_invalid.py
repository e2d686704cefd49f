import dataclasses
import os

from hostaudit.collectors.docker_daemon import read_config
from hostaudit.model import ConfigFile, Presence, Status
from tests.unit.conftest import results_by_subject

CHECK = "daemon.config_invalid"


def _with_config(snapshot, config):
    return dataclasses.replace(snapshot, docker_daemon=dataclasses.replace(snapshot.docker_daemon, config=config))


def test_valid_and_absent_files_pass(lab_snapshot):
    assert results_by_subject(CHECK, lab_snapshot)["docker daemon"].status is Status.PASS
    absent = _with_config(lab_snapshot, ConfigFile("/etc/docker/daemon.json", Presence.ABSENT))
    assert results_by_subject(CHECK, absent)["docker daemon"].status is Status.PASS


def test_malformed_json_is_a_finding_with_the_parser_message(lab_snapshot, root_tmp_path):
    path = root_tmp_path / "daemon.json"
    path.write_text('{"icc": false,')
    result = results_by_subject(CHECK, _with_config(lab_snapshot, read_config(str(path))))["docker daemon"]
    assert result.status is Status.FAIL
    assert "invalid JSON" in result.evidence["error"]


def test_a_directory_or_a_list_is_a_finding(lab_snapshot, root_tmp_path):
    directory = results_by_subject(CHECK, _with_config(lab_snapshot, read_config(str(root_tmp_path))))["docker daemon"]
    assert "not a regular file" in directory.evidence["error"]
    listing = root_tmp_path / "list.json"
    listing.write_text("[1, 2]")
    result = results_by_subject(CHECK, _with_config(lab_snapshot, read_config(str(listing))))["docker daemon"]
    assert "expected a JSON object" in result.evidence["error"]


def test_a_file_that_cannot_be_looked_at_is_unknown_not_a_finding(lab_snapshot):
    unreadable = ConfigFile("/etc/docker/daemon.json", Presence.UNREADABLE, error="permission denied")
    result = results_by_subject(CHECK, _with_config(lab_snapshot, unreadable))["docker daemon"]
    assert result.status is Status.UNKNOWN
    assert result.evidence["error"] == "permission denied"


def test_a_daemon_json_a_user_could_write_is_a_finding_and_never_a_source(lab_snapshot, root_tmp_path):
    """Root's dockerd reads it, but its owner (or anyone, where others may write it) chose what it says: it is a
    finding, and the settings it would set are unknown, never the pass it claims."""
    path = root_tmp_path / "daemon.json"
    path.write_text('{"icc": false}')
    started = lab_snapshot.docker_daemon.started_at
    for owner, mode in ((2299, 0o644), (0, 0o666)):
        os.chown(path, owner, 0)
        path.chmod(mode)
        os.utime(path, (started - 60, started - 60))  # written before dockerd started: read by it
        snapshot = _with_config(lab_snapshot, read_config(str(path)))
        invalid = results_by_subject(CHECK, snapshot)["docker daemon"]
        assert invalid.status is Status.FAIL and "not root's alone" in invalid.evidence["error"]
        assert results_by_subject("daemon.icc_enabled", snapshot)["docker daemon"].status is Status.UNKNOWN
    os.chown(path, 0, 0)
    path.chmod(0o644)
    trusted = _with_config(lab_snapshot, read_config(str(path)))  # the same file, root's alone, is read
    assert results_by_subject("daemon.icc_enabled", trusted)["docker daemon"].status is Status.PASS
