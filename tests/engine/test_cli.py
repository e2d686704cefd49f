"""The command line as a user drives it: exit codes, usage errors, saved snapshots, a missing Docker."""

from __future__ import annotations

import json
import os
import stat

from hostaudit.model import SCHEMA_VERSION
from tests.engine.conftest import needs_engine
from tests.lab import run_hostaudit

pytestmark = needs_engine


def test_fail_on_sets_the_exit_code(lab):
    docker, containerd = lab
    args = ("audit", "--format", "json", "--docker-host", docker.url, "--containerd-state", str(containerd.state))
    assert run_hostaudit(*args, "--fail-on", "critical").returncode == 1
    clean = run_hostaudit(*args, "--check", "daemon.tcp_without_tls", "--fail-on", "low")
    assert clean.returncode == 0


def test_unknown_values_are_usage_errors_not_empty_runs():
    bad_check = run_hostaudit("audit", "--check", "container.nope", check_codes=(2,))
    assert "unknown check id" in bad_check.stderr
    run_hostaudit("audit", "--fail-on", "severe", check_codes=(2,))
    run_hostaudit("checks", "explain", "container.nope", check_codes=(2,))


def test_collect_then_audit_offline_gives_the_same_findings(lab, tmp_path, report):
    docker, containerd = lab
    facts = tmp_path / "facts.json"
    run_hostaudit("collect", "--out", str(facts), "--docker-host", docker.url,
                  "--containerd-state", str(containerd.state), check_codes=(0,))
    assert stat.S_IMODE(os.stat(facts).st_mode) == 0o600
    offline = json.loads(run_hostaudit("audit", "--facts", str(facts), "--format", "json").stdout)
    failing = {(f["check_id"], f["subject"]["key"]) for f in offline["findings"] if f["status"] == "fail"}
    live = {(f["check_id"], f["subject"]["key"]) for f in report["findings"] if f["status"] == "fail"}
    container_checks = {pair for pair in live if pair[1].startswith("docker:")}
    assert container_checks <= failing


def test_a_corrupt_snapshot_is_a_clear_usage_error(tmp_path):
    facts = tmp_path / "facts.json"
    facts.write_text(f'{{"schema_version": {SCHEMA_VERSION}, "collectors": 3}}')
    done = run_hostaudit("audit", "--facts", str(facts), check_codes=(2,))
    assert "malformed snapshot" in done.stderr and "Traceback" not in done.stderr


def test_without_docker_the_containerd_pods_and_host_are_still_audited(lab, tmp_path):
    _, containerd = lab
    out = tmp_path / "report.json"
    run_hostaudit("audit", "--format", "json", "--output", str(out), "--docker-host", f"unix://{tmp_path}/none.sock",
                  "--containerd-state", str(containerd.state), check_codes=(0,))
    report = json.loads(out.read_text())
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert report["collectors"]["docker_daemon"]["state"] == "skipped"
    assert any("no socket" in note for note in report["notes"])
    assert any(f["subject"]["name"] == "shop/risky/app" and f["check_id"] == "container.cap_sys_admin"
               and f["status"] == "fail" for f in report["findings"])
    icc = [f for f in report["findings"] if f["check_id"] == "daemon.icc_enabled"]
    assert [f["status"] for f in icc] == ["not_applicable"]


def test_checks_list_and_explain():
    listing = run_hostaudit("checks", "list", check_codes=(0,)).stdout
    assert "container.privileged" in listing
    explained = run_hostaudit("checks", "explain", "container.privileged", check_codes=(0,)).stdout
    assert "5.5" in explained and "remediation" in explained


def test_version_option_and_command_print_the_package_version():
    from hostaudit import __version__

    assert run_hostaudit("--version", check_codes=(0,)).stdout.strip() == __version__
    version, data = run_hostaudit("version", check_codes=(0,)).stdout.splitlines()
    assert version == __version__ and data.startswith("CVE data from ")  # its date: tests/unit/test_cve_data_age.py
