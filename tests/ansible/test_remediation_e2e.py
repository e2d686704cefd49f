"""Audit a weak private dockerd, generate the playbook, apply it for real, restart, re-audit, re-apply, preview.

Every path the role touches is private to the test: the daemon's own daemon.json and socket, and temporary
files for the host keys (file modes, audit rules, sysctls, cron), passed as extra vars so they win over anything
the generated playbook enables. The real host's /etc is never written.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hostaudit import report_file
from hostaudit.remediation.unsafe import load_playbook
from tests.ansible.conftest import ROLE, ansible_playbook, local_inventory, needs_ansible, needs_engine
from tests.lab import IMAGE, PrivateDocker, lab_dir, run_hostaudit

pytestmark = [needs_ansible, needs_engine]
INFRA = ROLE.parents[2] / "tests" / "infra"
WEAK = {"icc": True, "labels": ["site=lab"], "log-level": "debug"}
RESTART = Path(__file__).with_name("restart_dockerd.py")
ROLE_VARS = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())
DAEMON_JSON_KEYS = set(ROLE_VARS["container_hardening__daemon_json_keys"])


def host_overrides(base: Path, socket: Path) -> dict:
    """Point every host key at private files planted weak (and turn them on, so each task really runs)."""
    (base / "etc-docker").mkdir(mode=0o777)
    (base / "etc-docker").chmod(0o777)
    (base / "unit").mkdir()
    (base / "unit" / "docker.service").write_text("[Service]\nExecStart=/usr/bin/dockerd\n")
    (base / "unit" / "docker.service").chmod(0o666)
    return {
        "container_hardening_docker_file_permissions_enabled": True,
        "container_hardening_docker_file_permissions_files": [
            {"path": str(base / "etc-docker"), "mode": "0755"},
            {"path": str(base / "unit" / "docker.service"), "mode": "0644"}],
        "container_hardening_docker_socket_permissions_enabled": True,
        "container_hardening_docker_socket_permissions_sockets": [
            {"path": str(socket), "owner": "root", "group": "docker", "mode": "0660"}],
        "container_hardening_audit_rules_enabled": True,
        "container_hardening_audit_rules_path": str(base / "audit" / "hostaudit-docker.rules"),
        "container_hardening_audit_rules_watches": [str(base / "etc-docker"), str(base / "unit" / "docker.service")],
        "container_hardening_audit_rules_load": False,
        "container_hardening_audit_rules_without_auditd": True,
        "container_hardening_probe_image": IMAGE,
        # the role's nofile 65536 is above this machine's hard limit: containers would not start (the probe sees it)
        "container_hardening_default_ulimits_value": {"nofile": {"Name": "nofile", "Soft": 1024, "Hard": 1024}},
        "container_hardening_kernel_sysctls_enabled": True,
        "container_hardening_kernel_sysctls_path": str(base / "sysctl.d" / "60-hostaudit-docker.conf"),
        "container_hardening_kernel_sysctls_apply": False,
        "container_hardening_scheduled_audit_enabled": True,
        "container_hardening_scheduled_audit_cron_file": str(base / "cron.d" / "hostaudit"),
        "container_hardening_scheduled_audit_output_dir": str(base / "reports"),
    }


def failing(report: dict) -> dict[str, dict]:
    return {f["identity"]: f for f in report["findings"] if f["status"] == "fail" and not f.get("waiver")}


def audit(docker: PrivateDocker, out: Path) -> dict:
    run_hostaudit("audit", "--format", "json", "--docker-host", docker.url, "--output", str(out))
    return report_file.as_version_1(json.loads(out.read_text()))  # findings with their check's metadata


@pytest.fixture(scope="module")
def applied():
    base = lab_dir("ha-ans-")
    for sub in ("audit", "sysctl.d", "cron.d"):
        (base / sub).mkdir()
    docker = PrivateDocker(base / "docker", daemon_json=WEAK)
    pidfile = docker.base / "dockerd.pid"
    try:
        docker.start()
        docker.build_image()
        docker.run("canary", "--cgroupns", "private")
        # wider than 0644 (files.daemon_json_permissive_mode fails) yet writable by root alone: a daemon.json others
        # could write is no source of settings at all (tests/engine/test_hostile_host_user.py)
        docker.config_file.chmod(0o755)
        before = audit(docker, base / "before.json")
        fix = base / "fix.yml"
        remediated = run_hostaudit("remediate", "--from", str(base / "before.json"), "--out", str(fix),
                      "--daemon-json", str(docker.config_file), "--docker-host", docker.url,
                      "--restart-command", f"{sys.executable} {RESTART} {pidfile} {docker.socket} {docker.log}",
                      "--reload-command", f"kill -HUP $(cat {pidfile})", check_codes=(0,))
        extra = base / "overrides.yml"
        extra.write_text(yaml.safe_dump(host_overrides(base, docker.socket)))
        inventory = local_inventory(base / "inventory.yml")
        first = ansible_playbook(fix, inventory, "-e", f"@{extra}", "--diff")
        if not pidfile.exists():
            pytest.fail(f"dockerd did not come back after the play:\n{first.output[-4000:]}")
        docker.pid = int(pidfile.read_text())  # the handler restarted dockerd: stop the new one at the end
        after = audit(docker, base / "after.json")
        second = ansible_playbook(fix, inventory, "-e", f"@{extra}")
        yield {"remediate_log": remediated.stderr, "base": base, "docker": docker, "before": before,
               "after": after, "fix": fix, "first": first, "second": second, "inventory": inventory, "extra": extra}
    finally:
        docker.stop()
        shutil.rmtree(base, ignore_errors=True)


def enabled_keys(applied) -> set[str]:
    play_vars = load_playbook(applied["fix"].read_text())[0]["vars"]
    return {k.removeprefix("container_hardening_").removesuffix("_enabled") for k, v in play_vars.items()
            if k.endswith("_enabled") and v is True}


def test_weak_daemon_fails_the_daemon_json_checks(applied):
    keys = {f["ansible_key"] for f in failing(applied["before"]).values()}
    assert {"icc", "iptables", "live_restore", "no_new_privileges"} <= keys
    assert {"live_restore", "no_new_privileges"} <= enabled_keys(applied)


def test_keys_the_daemon_would_refuse_are_left_off_with_a_reason(applied):
    # the private dockerd runs with --iptables=false: iptables is a flag, and icc=false would stop dockerd
    assert not {"icc", "iptables"} & enabled_keys(applied)
    log = applied["remediate_log"]
    assert "left off 'iptables'" in log and "command line" in log
    assert "left off 'icc'" in log and "needs iptables" in log


def test_first_apply_changes_the_host_and_restarts_dockerd(applied):
    run = applied["first"]
    assert run.returncode == 0, run.output[-4000:]
    assert run.changed() > 0
    assert "apply, verify, or roll back" in run.output and "rolled back" not in run.output


def test_daemon_json_is_merged_not_overwritten(applied):
    config = json.loads(applied["docker"].config_file.read_text())
    assert config["live-restore"] is True and config["no-new-privileges"] is True
    assert config["icc"] is True and config["labels"] == ["site=lab"], "keys the play does not own are kept"
    assert config["log-level"] == ("info" if "log_level" in enabled_keys(applied) else "debug")
    backups = list(applied["docker"].base.glob("daemon.json.*~"))
    assert len(backups) == 1 and json.loads(backups[0].read_text()) == WEAK


def test_reaudit_shows_the_enabled_daemon_keys_fixed(applied):
    enabled = enabled_keys(applied)
    fixed = [f for f in failing(applied["before"]).values()
             if f["ansible_key"] in enabled and f["ansible_key"] in DAEMON_JSON_KEYS]
    assert {f["check_id"] for f in fixed} >= {"daemon.live_restore_disabled", "daemon.no_new_privileges_default_off"}
    after = {f["identity"]: f for f in applied["after"]["findings"]}
    still = [(f["check_id"], after[f["identity"]]["status"], after[f["identity"]]["evidence"]) for f in fixed
             if after[f["identity"]]["status"] != "pass"]
    assert still == []


def test_live_restore_was_in_force_before_the_restart(applied):
    docker = applied["docker"]
    state = docker.docker("inspect", "-f", "{{.State.Running}} {{.State.StartedAt}}", "canary").stdout.decode()
    assert state.startswith("true"), "the canary container did not survive the dockerd restart"
    assert json.loads(docker.docker("info", "--format", "{{json .LiveRestoreEnabled}}").stdout) is True


def test_host_keys_wrote_their_private_files(applied):
    base = applied["base"]
    assert (base / "etc-docker").stat().st_mode & 0o777 == 0o755
    assert (base / "unit" / "docker.service").stat().st_mode & 0o777 == 0o644
    assert applied["docker"].config_file.stat().st_mode & 0o777 == 0o644
    rules = (base / "audit" / "hostaudit-docker.rules").read_text().splitlines()
    assert f"-w {base / 'etc-docker'} -p wa -k docker" in rules
    assert f"-w {applied['docker'].config_file} -p wa -k docker" in rules
    sysctls = (base / "sysctl.d" / "60-hostaudit-docker.conf").read_text()
    assert "kernel.kptr_restrict = 1" in sysctls and "ip_forward" not in sysctls
    assert "hostaudit audit --format json --output" in (base / "cron.d" / "hostaudit").read_text()


def test_second_apply_changes_nothing(applied):
    run = applied["second"]
    assert run.returncode == 0, run.output[-4000:]
    assert run.changed() == 0, run.output[-4000:]


def test_check_mode_on_a_fresh_weak_config_previews_without_writing(applied):
    fresh = applied["base"] / "fresh" / "daemon.json"
    fresh.parent.mkdir()
    text = json.dumps({"icc": True, "labels": ["keep"]})
    fresh.write_text(text)
    run = ansible_playbook(applied["fix"], applied["inventory"], "-e", f"@{applied['extra']}", "-e",
                           f"container_hardening_daemon_json_path={fresh}", "--check", "--diff")
    assert run.returncode == 0, run.output[-4000:]
    assert '"live-restore": true' in run.output, "the diff previews the change"
    assert fresh.read_text() == text and sorted(p.name for p in fresh.parent.iterdir()) == ["daemon.json"]


def test_role_refuses_icc_while_iptables_is_off(applied):
    weak = applied["base"] / "no-iptables" / "daemon.json"
    weak.parent.mkdir()
    text = json.dumps({"iptables": False})
    weak.write_text(text)
    run = ansible_playbook(applied["fix"], applied["inventory"], "-e", f"@{applied['extra']}", "-e",
                           f"container_hardening_daemon_json_path={weak}", "-e", "container_hardening_icc_enabled=true",
                           "--check")
    assert run.returncode == 0 and "REFUSED icc: dockerd runs with iptables off" in run.output, run.output[-3000:]
    assert weak.read_text() == text


def run_infra(*vars_files: Path) -> subprocess.CompletedProcess:
    """tests/infra with pytest-testinfra on this machine, told by the play's vars which private files to check."""
    env = {**os.environ, "HOSTAUDIT_VERIFY_VARS": ":".join(map(str, vars_files))}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(INFRA),
                           "--hosts=local://"], cwd=INFRA.parents[1], env=env, capture_output=True, text=True,
                          timeout=300)


def test_testinfra_verifies_the_hardened_private_host(applied):
    done = run_infra(applied["fix"], applied["extra"])
    assert done.returncode == 0, done.stdout[-4000:]
    assert " passed" in done.stdout
    for key in ("live_restore", "no_new_privileges", "audit_rules", "kernel_sysctls", "docker_file_permissions"):
        assert f"{key} is not enabled" not in done.stdout, f"the {key} verification was skipped"


def test_testinfra_flags_an_unhardened_config(applied):
    weak = applied["base"] / "unhardened" / "daemon.json"
    weak.parent.mkdir()
    weak.write_text(json.dumps(WEAK))
    weak.chmod(0o666)
    pointer = weak.parent / "vars.yml"
    pointer.write_text(yaml.safe_dump({"container_hardening_daemon_json_path": str(weak)}))
    done = run_infra(applied["fix"], applied["extra"], pointer)
    assert done.returncode == 1, done.stdout[-4000:]
    assert "test_daemon_json_key[local-live_restore]" in done.stdout
    assert "test_docker_file_modes" in done.stdout
