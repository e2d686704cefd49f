"""Apply or roll back, per host, on private dockerds without systemd (each with its own --config-file and socket).

The oracle is the running daemon: `docker info`, a probe container's /proc/self/status, `docker inspect` of a
container that must keep running, and whether dockerd answers at all after a bad key.
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

from hostaudit.remediation.unsafe import load_playbook
from tests.ansible.conftest import ROLE, ansible_playbook, local_inventory, needs_ansible, needs_engine
from tests.ansible.test_remediation_e2e import RESTART, audit, run_infra
from tests.lab import IMAGE, PrivateDocker, lab_dir, run_hostaudit

pytestmark = [needs_ansible, needs_engine]
# host keys stay off or private: nothing outside the lab directory is written
PRIVATE_HOST_KEYS = {"container_hardening_docker_file_permissions_enabled": False,
                     "container_hardening_kernel_sysctls_enabled": False,
                     "container_hardening_scheduled_audit_enabled": False}


@pytest.fixture()
def lab():
    base = lab_dir("ha-apply-")
    daemons: list[PrivateDocker] = []

    def start(daemon_json: dict, iptables_flag: str = "--iptables=false") -> PrivateDocker:
        docker = PrivateDocker(base / f"d{len(daemons)}", daemon_json=daemon_json, iptables_flag=iptables_flag)
        daemons.append(docker)
        docker.start()
        docker.build_image()
        return docker

    yield base, start
    for docker in daemons:
        pidfile = docker.base / "dockerd.pid"
        if pidfile.exists():
            docker.pid = int(pidfile.read_text())
        docker.stop()
    shutil.rmtree(base, ignore_errors=True)


def commands(docker: PrivateDocker) -> tuple[str, str]:
    pidfile = docker.base / "dockerd.pid"
    return (f"{sys.executable} {RESTART} {pidfile} {docker.socket} {docker.log}", f"kill -HUP $(cat {pidfile})")


def role_play(base: Path, docker: PrivateDocker, reload: bool = True, **variables) -> tuple[Path, Path]:
    """A play applying the role to `docker` with restart/reload commands, and its inventory."""
    restart, reload_command = commands(docker)
    play_vars = {"container_hardening_daemon_json_path": str(docker.config_file),
                 "container_hardening_docker_host": docker.url, "container_hardening_restart_method": "command",
                 "container_hardening_restart_command": restart, "container_hardening_probe_image": IMAGE,
                 **({"container_hardening_reload_command": reload_command} if reload else {}), **variables}
    playbook = base / f"play-{docker.base.name}.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "all", "gather_facts": False, "vars": play_vars,
                                         "roles": [{"role": str(ROLE)}]}]))
    return playbook, local_inventory(base / "inventory.yml")


def probe(docker: PrivateDocker) -> dict[str, str]:
    out = docker.docker("run", "--rm", "--network", "none", "--entrypoint", "/bin/cat", IMAGE, "/proc/self/status")
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.stdout.decode().splitlines())}


def info(docker: PrivateDocker) -> dict:
    return json.loads(docker.docker("info", "--format", "{{json .}}").stdout)


def state(docker: PrivateDocker, name: str) -> str:
    return docker.docker("inspect", "-f", "{{.State.Running}} {{.State.StartedAt}}", name).stdout.decode().strip()


def test_remediate_aims_at_the_audited_daemon_and_keeps_a_running_container(lab):
    """Custom --config-file, no auditd, a running container, a 0666 socket: remediate without --daemon-json or
    --docker-host; live-restore is reloaded before the restart, every key is read back, the container runs on."""
    base, start = lab
    docker = start({"log-level": "debug", "labels": ["site=lab"], "icc": True})
    docker.config_file.chmod(0o600)
    docker.socket.chmod(0o666)
    docker.run("canary")
    before_state = state(docker, "canary")
    audit(docker, base / "before.json")
    (base / "out").mkdir()
    restart, reload_command = commands(docker)
    run_hostaudit("remediate", "--from", str(base / "before.json"), "--out", str(base / "out" / "fix.yml"),
                  "--restart-command", restart, "--reload-command", reload_command, check_codes=(0,))
    fix = base / "out" / "fix.yml"
    play_vars = load_playbook(fix.read_text())[0]["vars"]
    assert play_vars.get("container_hardening_daemon_json_path") == str(docker.config_file)
    assert play_vars["container_hardening_docker_host"] == docker.url
    assert {"path": str(docker.socket), "owner": "root", "group": "docker", "mode": "0660"} in play_vars[
        "container_hardening_docker_socket_permissions_sockets"]
    assert "command line" in play_vars["container_hardening_left_off"]["iptables"]
    assert load_playbook(fix.read_text())[0]["roles"] == [{"role": "container_hardening"}], "no path of this machine"
    assert (base / "out" / "roles" / "container_hardening" / "tasks" / "main.yml").is_file(), "the role is beside it"
    extra = base / "extra.yml"
    # default-ulimits nofile 65536 is above this machine's hard limit: the probe catches it (and the role rolls
    # back); keep it out here
    extra.write_text(yaml.safe_dump({**PRIVATE_HOST_KEYS, "container_hardening_probe_image": IMAGE,
                                     "container_hardening_default_ulimits_enabled": False,
                                     "container_hardening_audit_rules_path": str(base / "audit" / "x.rules")}))
    inventory = local_inventory(base / "inventory.yml")
    first = ansible_playbook(fix, inventory, "-e", f"@{extra}")
    docker.pid = int((docker.base / "dockerd.pid").read_text())
    assert first.returncode == 0, first.output[-4000:]
    assert "auditd is not installed" in first.output and not (base / "audit").exists()
    assert "LEFT OFF iptables" in first.output
    assert info(docker)["LiveRestoreEnabled"] is True
    assert probe(docker)["NoNewPrivs"] == "1", "no-new-privileges is in force for new containers"
    assert state(docker, "canary") == before_state, "the running container was stopped"
    config = json.loads(docker.config_file.read_text())
    assert list(config)[:3] == ["log-level", "labels", "icc"], "the keys keep their order"
    assert docker.config_file.stat().st_mode & 0o777 == 0o600, "daemon.json keeps its mode"
    assert docker.socket.stat().st_mode & 0o777 == 0o660, "the socket the audit flagged is fixed"
    second = ansible_playbook(fix, inventory, "-e", f"@{extra}")
    assert second.returncode == 0 and second.changed() == 0, second.output[-4000:]


def test_restart_without_live_restore_in_force_is_refused_while_containers_run(lab):
    """--restart-command without --reload-command: live-restore cannot be loaded first, so the keys needing a
    restart are refused with the reason and the running container is left alone."""
    base, start = lab
    docker = start({})
    docker.run("canary")
    before_state = state(docker, "canary")
    playbook, inventory = role_play(base, docker, reload=False, container_hardening_live_restore_enabled=True,
                                    container_hardening_no_new_privileges_enabled=True)
    run = ansible_playbook(playbook, inventory)
    assert run.returncode == 0, run.output[-4000:]
    assert "REFUSED no_new_privileges: needs a dockerd restart, which would stop the 1 running" in run.output
    assert state(docker, "canary") == before_state
    assert json.loads(docker.config_file.read_text()) == {}


def test_remediate_refuses_restart_method_command_without_a_command(lab, tmp_path):
    report = tmp_path / "r.json"
    report.write_text(json.dumps({"findings": []}))
    done = run_hostaudit("remediate", "--from", str(report), "--out", str(tmp_path / "fix.yml"),
                         "--restart-method", "command", check_codes=(2,))
    assert "--restart-command" in done.stderr and not (tmp_path / "fix.yml").exists()


def test_a_restart_that_fails_is_rolled_back(lab):
    """log-level 'bogus' passes every static check but stops dockerd: the old file is restored and dockerd runs."""
    base, start = lab
    docker = start({"labels": ["site=lab"]})
    text = docker.config_file.read_text()
    playbook, inventory = role_play(base, docker, container_hardening_log_level_enabled=True,
                                    container_hardening_log_level_value="bogus")
    run = ansible_playbook(playbook, inventory)
    assert run.returncode != 0 and "rolled back" in run.output, run.output[-4000:]
    assert docker.config_file.read_text() == text
    assert docker.docker("version", check=False).returncode == 0, "dockerd is back up"
    assert not Path(str(docker.config_file) + ".hostaudit-pending").exists()


def test_a_conflicting_key_is_skipped_and_the_others_apply(lab):
    """dockerd runs with --iptables=0: icc is refused for the host, no-new-privileges and log-level still apply."""
    base, start = lab
    docker = start({}, iptables_flag="--iptables=0")
    playbook, inventory = role_play(base, docker, container_hardening_icc_enabled=True,
                                    container_hardening_no_new_privileges_enabled=True,
                                    container_hardening_log_level_enabled=True)
    run = ansible_playbook(playbook, inventory)
    assert run.returncode == 0, run.output[-4000:]
    assert "REFUSED icc: dockerd runs with iptables off" in run.output
    assert json.loads(docker.config_file.read_text()) == {"no-new-privileges": True, "log-level": "info"}
    assert probe(docker)["NoNewPrivs"] == "1"


def test_a_file_edited_but_not_restarted_fails_verification_and_the_role_finishes_it(lab):
    base, start = lab
    docker = start({})
    docker.config_file.write_text(json.dumps({"live-restore": True, "no-new-privileges": True}))
    playbook, inventory = role_play(base, docker, container_hardening_live_restore_enabled=True,
                                    container_hardening_no_new_privileges_enabled=True)
    verify = run_infra(playbook)
    assert verify.returncode == 1, verify.stdout[-4000:]
    assert "test_running_daemon_shows_the_keys" in verify.stdout
    assert "test_containers_get_no_new_privileges_and_seccomp" in verify.stdout
    run = ansible_playbook(playbook, inventory)
    assert run.returncode == 0 and run.changed() > 0, run.output[-4000:]
    assert info(docker)["LiveRestoreEnabled"] is True and probe(docker)["NoNewPrivs"] == "1"
    assert run_infra(playbook).returncode == 0
    again = ansible_playbook(playbook, inventory)
    assert again.changed() == 0, again.output[-4000:]
    # an apply interrupted after the write (the marker is still there) is finished by the next run
    marker = Path(str(docker.config_file) + ".hostaudit-pending")
    marker.write_text(json.dumps({"keys": ["no-new-privileges"], "backup": None}))
    pid = (docker.base / "dockerd.pid").read_text()
    finished = ansible_playbook(playbook, inventory)
    assert finished.returncode == 0 and finished.changed() > 0, finished.output[-4000:]
    assert not marker.exists() and (docker.base / "dockerd.pid").read_text() != pid, "dockerd was restarted"


def test_testinfra_without_verify_vars_is_an_error():
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/infra",
                           "--hosts=local://"], cwd=ROLE.parents[2], capture_output=True, text=True, timeout=120,
                          env={k: v for k, v in os.environ.items() if k != "HOSTAUDIT_VERIFY_VARS"})
    assert done.returncode == 4 and "HOSTAUDIT_VERIFY_VARS is not set" in done.stderr + done.stdout
