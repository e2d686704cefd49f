"""An ordinary account on the host, outside any container, is as hostile as a container: its processes named dockerd,
containerd, kubelet, falco and auditd, with argv naming root-only files, other sockets and a state dir of its own,
are never believed by the root audit. The oracle is the audit of the same real lab run before the user's processes
started: what the user adds may only show up as notes, never as facts, and no root-only byte reaches the report."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import pytest

from tests.engine.conftest import needs_engine
from tests.hostile_user import HostileUser, hostile_user
from tests.lab import run_hostaudit

pytestmark = [needs_engine, pytest.mark.skipif(os.geteuid() != 0, reason="needs root to create a throw-away user")]
TASKS = "io.containerd.runtime.v2.task"


def collect(lab, out: Path) -> dict:
    docker, _ = lab
    run_hostaudit("collect", "--docker-host", docker.url, "--out", str(out))
    return json.loads(out.read_text())


def plant(user: HostileUser, lab, secret_file: Path) -> dict[str, int]:
    """The user's look-alike daemons, each naming what root must never read or believe; their pids by name."""
    docker, _ = lab
    state = user.home / "state"
    user.write(f"state/{TASKS}/default/made-up-task/config.json", json.dumps(
        {"ociVersion": "1.0.2", "process": {"args": ["sh"]}, "annotations": {"made-up": "yes"}}))
    user.write("config.toml", f'state = "{state}"\n[grpc]\n  address = "{user.home}/c.sock"\n')
    pids = {}
    for name, args in (
        ("dockerd", ["-H", "unix:///etc/passwd", "--config-file", str(secret_file), "--icc=false"]),
        ("dockerd-beside", ["-H", f"unix://{docker.socket}", "--config-file", str(secret_file), "--icc=false",
                            "--no-new-privileges", "--live-restore", "--userland-proxy=false"]),
        ("kubelet", ["--config", str(secret_file), "--container-runtime-endpoint", f"unix://{user.home}/cri.sock"]),
        ("containerd", ["--config", str(user.home / "config.toml"), "--state", str(state)]),
        ("falco", []), ("auditd", []),
    ):
        program = name.split("-")[0]
        pids[name] = user.spawn([str(user.binary(program)), *args], name=program).pid
    return pids


@pytest.fixture(scope="module")
def before_and_after(lab, tmp_path_factory):
    """The lab's snapshot before the user's processes start, and while they run (with the user and the secret)."""
    base = tmp_path_factory.mktemp("hostile-user")
    before = collect(lab, base / "before.json")
    marker = f"ROOT-ONLY-{secrets.token_hex(8)}"
    secret_file = Path("/root") / f".hostaudit-test-secret-{secrets.token_hex(4)}.yaml"
    secret_file.write_text(json.dumps({"icc": False, "no-new-privileges": True, "marker": marker}))
    secret_file.chmod(0o600)
    try:
        with hostile_user() as user:
            pids = plant(user, lab, secret_file)
            after = collect(lab, base / "after.json")
            docker, _ = lab
            report = run_hostaudit("audit", "--format", "json", "--docker-host", docker.url).stdout
            yield before, after, report, marker, user, pids
    finally:
        secret_file.unlink()


def test_no_root_only_byte_reaches_the_snapshot_or_the_report(before_and_after):
    _, after, report, marker, _, _ = before_and_after
    assert marker not in json.dumps(after)
    assert marker not in report


def test_the_users_look_alikes_are_noted_never_believed(before_and_after):
    before, after, report, _, user, pids = before_and_after
    untrusted = {p["pid"]: p for p in after["untrusted_processes"]}
    for name, pid in pids.items():
        assert untrusted[pid]["uid"] == user.uid, name
        assert f"not believed: process {pid}" in report, name
    # what the host's own processes show is what it showed before the user came
    assert after["host"]["runtime_agents"] == before["host"]["runtime_agents"]
    assert after["audit_rules"]["auditd_running"] == before["audit_rules"]["auditd_running"]
    assert after["collectors"]["kubelet"]["state"] == before["collectors"]["kubelet"]["state"]
    assert after["kubelet"] == before["kubelet"]
    for key in ("pid", "argv", "flags", "config", "sockets", "tcp_listeners"):
        assert after["docker_daemon"][key] == before["docker_daemon"][key], key


def test_no_path_the_user_named_is_read_or_stood_for_a_socket(before_and_after):
    _, after, _, _, user, _ = before_and_after
    paths = json.dumps([after["docker_daemon"]["sockets"], after["runtime_sockets"], after["files"],
                        after["containerd"]["state_dirs"] if after["containerd"] else []])
    assert "/etc/passwd" not in paths
    assert str(user.home) not in paths


def test_the_users_made_up_bundle_is_no_audit_subject(before_and_after):
    before, after, _, _, _, _ = before_and_after
    assert "made-up-task" not in json.dumps(after)
    assert len(after["containerd"]["containers"] if after["containerd"] else []) == \
        len(before["containerd"]["containers"] if before["containerd"] else [])
