"""The role refuses keys that would stop dockerd or break the host, before writing anything; other keys apply."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.ansible.conftest import ROLE, ansible_playbook, local_inventory, needs_ansible

pytestmark = needs_ansible


@pytest.fixture()
def play(tmp_path):
    """A play applying the role to a private daemon.json with restart method none; returns (run, daemon.json)."""
    config = tmp_path / "daemon.json"
    config.write_text(json.dumps({"hosts": ["unix:///run/x.sock"], "labels": ["keep"]}))
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "all", "gather_facts": False, "roles": [{"role": str(ROLE)}]}]))
    inventory = local_inventory(tmp_path / "inventory.yml")

    def run(**variables):
        extra = tmp_path / "vars.yml"
        extra.write_text(yaml.safe_dump({"container_hardening_daemon_json_path": str(config),
                                         "container_hardening_docker_host": f"unix://{tmp_path}/no-docker.sock",
                                         "container_hardening_restart_method": "none", **variables}))
        return ansible_playbook(playbook, inventory, "-e", f"@{extra}")

    return run, config


def test_a_key_that_is_also_a_dockerd_flag_is_refused(play):
    run, config = play
    before = config.read_text()
    done = run(container_hardening_experimental_enabled=True, container_hardening_dockerd_flags=["host"])
    assert done.returncode == 0 and "already holds hosts, also set on dockerd's command line" in done.output
    assert config.read_text() == before


def test_tls_verify_without_certificates_is_refused(play):
    run, config = play
    before = config.read_text()
    done = run(container_hardening_tls_verify_enabled=True)
    assert done.returncode == 0 and "REFUSED tls_verify: needs container_hardening_tls_verify_cacert" in done.output
    assert config.read_text() == before


def test_forwarding_sysctls_are_refused(play, tmp_path):
    run, _ = play
    target = tmp_path / "sysctl.conf"
    done = run(container_hardening_kernel_sysctls_enabled=True, container_hardening_kernel_sysctls_apply=False,
               container_hardening_kernel_sysctls_path=str(target),
               container_hardening_kernel_sysctls_values={"net.ipv4.ip_forward": 0})
    assert done.returncode != 0 and "break Docker networking" in done.output
    assert not target.exists()


def test_merge_keeps_other_keys_and_writes_once(play):
    run, config = play
    done = run(container_hardening_experimental_enabled=True, container_hardening_log_level_enabled=True)
    assert done.returncode == 0, done.output[-3000:]
    assert json.loads(config.read_text()) == {"hosts": ["unix:///run/x.sock"], "labels": ["keep"],
                                              "experimental": False, "log-level": "info"}
    assert len(list(config.parent.glob("daemon.json.*~"))) == 1
    assert "restart dockerd yourself" in done.output, "restart method none says the change is not in force yet"


def test_file_modes_only_take_bits_away(play, tmp_path):
    run, config = play
    config.chmod(0o600)
    loose = tmp_path / "loose.conf"
    loose.write_text("x")
    loose.chmod(0o666)
    files = [{"path": str(loose), "mode": "0644"}]
    done = run(container_hardening_docker_file_permissions_enabled=True,
               container_hardening_docker_file_permissions_files=files)
    assert done.returncode == 0, done.output[-3000:]
    assert config.stat().st_mode & 0o777 == 0o600, "daemon.json is not opened up to 0644"
    assert loose.stat().st_mode & 0o777 == 0o644
    again = run(container_hardening_docker_file_permissions_enabled=True,
                container_hardening_docker_file_permissions_files=files)
    assert again.changed() == 0, again.output[-3000:]
