"""A report is data, never a template, and the role changes only what root owns and what has the expected kind.

Each hostile report is a real report (hostaudit audit over a recorded snapshot whose file checks fail) with values
replaced, as a user process could have them put there (a fake containerd's `--address`, a fake dockerd's `-H`).
The oracle is the real ansible-playbook (check mode and a real apply) and the kernel's own stat of the planted
files. Every path the play may write is private to the test; the host's /etc is only read, in check mode.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
from pathlib import Path

import pytest
import yaml

from hostaudit.remediation.unsafe import load_playbook
from tests.ansible.conftest import PlayRun, ansible_playbook, local_inventory, needs_ansible
from tests.hostile_user import hostile_user
from tests.lab import lab_dir, run_hostaudit

pytestmark = needs_ansible
SNAPSHOT = Path(__file__).resolve().parents[1] / "unit" / "fixtures" / "snapshots" / "files" / "loose-modes-fail.json"
SOCKET_CHECKS = ("files.docker_sock_", "files.containerd_sock_")
DOCKER_SOCKET_CHECKS = ("files.docker_sock_",)  # the role would make it root:docker 0660
DAEMON_JSON_CHECKS = ("files.daemon_json_",)
WATCH_CHECK = "host.audit_rule_missing_docker_data_root"
TEMPLATES = {
    "expression": "{{ lookup('pipe', 'touch MARKER') }}",
    "statement": "{% if lookup('pipe', 'touch MARKER') is string %}{% endif %}",
}


@pytest.fixture(scope="module")
def real_report(tmp_path_factory) -> dict:
    """The report hostaudit writes for a host whose Docker files and sockets fail their checks."""
    out = tmp_path_factory.mktemp("report") / "report.json"
    run_hostaudit("audit", "--facts", str(SNAPSHOT), "--format", "json", "--output", str(out))
    return json.loads(out.read_text())


@pytest.fixture()
def base():
    path = lab_dir("ha-hostile-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def retarget(report: dict, prefixes: tuple[str, ...], path: str) -> dict:
    """The report with the subject of each file finding whose check id starts with one of `prefixes` (one at least
    failing) naming `path` instead, as the audit would have had a user process named it."""
    report = json.loads(json.dumps(report))
    hits = [f for f in report["findings"] if f["check_id"].startswith(prefixes) and f["subject"]["kind"] == "file"]
    assert any(f["status"] == "fail" for f in hits), f"the real report has no failing {prefixes} finding to replace"
    for finding in hits:
        finding["subject"].update(name=path, key=f"file:{path}")
    return report


def docker_socket_named(report: dict, base: Path, path: Path) -> dict:
    """The report naming `path` as Docker's socket (containerd's: an absent private path)."""
    return retarget(retarget(report, SOCKET_CHECKS, f"{base}/absent.sock"), DOCKER_SOCKET_CHECKS, str(path))


def remediate(base: Path, report: dict) -> tuple[Path, str]:
    """fix.yml for `report` (through the hostaudit command), and what the command said on stderr."""
    path = base / "report.json"
    path.write_text(json.dumps(report))
    done = run_hostaudit("remediate", "--from", str(path), "--out", str(base / "fix.yml"), check_codes=(0,))
    assert "Traceback" not in done.stderr
    return base / "fix.yml", done.stderr


def play(base: Path, fix: Path, *args: str, **overrides) -> PlayRun:
    """fix.yml applied to this machine with the host keys aimed at private files (restart method none)."""
    extra = base / "overrides.yml"
    extra.write_text(yaml.safe_dump({
        "container_hardening_restart_method": "none",
        "container_hardening_docker_file_permissions_files": [],
        "container_hardening_audit_rules_path": str(base / "audit" / "hostaudit-docker.rules"),
        "container_hardening_audit_rules_without_auditd": True,
        "container_hardening_audit_rules_load": False, **overrides}))
    return ansible_playbook(fix, local_inventory(base / "inventory.yml"), "-e", f"@{extra}", *args)


def private_daemon(base: Path) -> dict:
    """Overrides for a real apply: a private daemon.json and no reachable dockerd."""
    config = base / "daemon.json"
    config.write_text("{}")
    return {"container_hardening_daemon_json_path": str(config),
            "container_hardening_docker_host": f"unix://{base}/no-docker.sock"}


@pytest.mark.parametrize("template", TEMPLATES.values(), ids=TEMPLATES.keys())
def test_template_in_report_values_runs_nothing(real_report, base, template):
    marker = base / "MARKER"
    hostile = template.replace("MARKER", str(marker))
    report = retarget(real_report, SOCKET_CHECKS, f"{base}/{hostile}")
    report = retarget(report, (WATCH_CHECK,), f"{base}/{hostile}")
    report = retarget(report, DAEMON_JSON_CHECKS, f"{base}/{hostile}/daemon.json")
    report["host"]["docker_endpoint"] = f"unix://{base}/{hostile}"
    for pod in report.get("pods") or ():
        pod["name"] = hostile
    fix, said = remediate(base, report)
    preview = play(base, fix, "--check", "--diff")
    assert not marker.exists(), "the check-mode preview executed a command from the report"
    assert preview.returncode == 0, preview.output[-4000:]
    assert "docker_socket_permissions | look up the files" in preview.output, "the play reached the socket key"

    applied = play(base, fix, **private_daemon(base))
    assert not marker.exists(), "the apply executed a command from the report"
    assert applied.returncode == 0, applied.output[-4000:]
    assert said.count("refused from the report") >= 4, said
    assert "# Refused from the report" in fix.read_text()


def assert_left_unchanged(run: PlayRun, path: Path, before: os.stat_result, reason: str) -> None:
    after = path.lstat()
    assert (after.st_mode, after.st_uid, after.st_gid) == (before.st_mode, before.st_uid, before.st_gid), \
        f"{path} was changed:\n{run.output[-3000:]}"
    assert f"REFUSED docker_socket_permissions {path}: {reason}" in run.output, run.output[-3000:]


def test_regular_root_file_named_as_a_socket_is_left_unchanged(real_report, base):
    passwd = base / "passwd"  # stands for /etc/passwd, named by a user's `dockerd -H unix:///etc/passwd`
    passwd.write_text("root:x:0:0:root:/root:/bin/bash\n")
    passwd.chmod(0o600)
    before = passwd.lstat()
    fix, _ = remediate(base, docker_socket_named(real_report, base, passwd))
    preview = play(base, fix, "--check", "--diff", **private_daemon(base))
    applied = play(base, fix, **private_daemon(base))
    assert preview.returncode == 0 and applied.returncode == 0, applied.output[-4000:]
    assert_left_unchanged(applied, passwd, before, "not a socket: a regular file")
    assert_left_unchanged(preview, passwd, before, "not a socket: a regular file")


def test_user_owned_socket_is_left_unchanged(real_report, base):
    with hostile_user() as user:
        path = user.home / "docker.sock"  # the user's own (rootless) engine socket
        listener = socket.socket(socket.AF_UNIX)
        try:
            listener.bind(str(path))
            path.chmod(0o666)
            user.own(path)
            before = path.lstat()
            assert stat.S_ISSOCK(before.st_mode) and before.st_uid == user.uid
            fix, _ = remediate(base, docker_socket_named(real_report, base, path))
            applied = play(base, fix, **private_daemon(base))
            assert applied.returncode == 0, applied.output[-4000:]
            assert_left_unchanged(applied, path, before, f"owned by uid {user.uid}, not root")
        finally:
            listener.close()


def test_user_owned_daemon_json_is_not_written(real_report, base):
    with hostile_user() as user:
        config = user.write("docker/daemon.json", '{"labels": ["mine"]}', 0o644)
        before = (config.read_text(), config.lstat())
        fix, _ = remediate(base, retarget(real_report, DAEMON_JSON_CHECKS, str(config)))
        assert load_playbook(fix.read_text())[0]["vars"]["container_hardening_daemon_json_path"] == str(config)
        applied = play(base, fix, container_hardening_docker_host=f"unix://{base}/no-docker.sock")
        assert applied.returncode == 0, applied.output[-4000:]
        after = config.lstat()
        assert (config.read_text(), after.st_mode, after.st_uid) == (before[0], before[1].st_mode, before[1].st_uid)
        assert f"REFUSED daemon.json {config}: owned by uid {user.uid}, not root" in applied.output
        assert not list(config.parent.glob("daemon.json.*~")), "no backup was written beside it either"
