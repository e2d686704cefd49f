"""After the container_hardening role: daemon.json keys, file modes, audit rules, sysctls and the nightly audit."""

from __future__ import annotations

import json

import pytest

from tests.infra.conftest import enabled

# remediation key -> (daemon.json key, expected value; a settings name gives the expected value)
DAEMON_JSON = {
    "icc": ("icc", False),
    "live_restore": ("live-restore", True),
    "no_new_privileges": ("no-new-privileges", True),
    "log_level": ("log-level", "@log_level_value"),
    "iptables": ("iptables", True),
    "userland_proxy": ("userland-proxy", False),
    "default_ulimits": ("default-ulimits", "@default_ulimits_value"),
    "experimental": ("experimental", False),
    "tls_verify": ("tlsverify", True),
    "userns_remap": ("userns-remap", "@userns_remap_user"),
    "cgroup_parent": ("cgroup-parent", "@cgroup_parent_value"),
}


def _daemon_json(host, settings) -> dict:
    config = host.file(settings["daemon_json_path"])
    assert config.exists, f"{settings['daemon_json_path']} is missing"
    return json.loads(config.content_string or "{}")


@pytest.mark.parametrize("key", sorted(DAEMON_JSON))
def test_daemon_json_key(host, settings, key):
    if not enabled(settings, key):
        pytest.skip(f"{key} is not enabled")
    name, expected = DAEMON_JSON[key]
    if isinstance(expected, str) and expected.startswith("@"):
        expected = settings[expected[1:]]
    assert _daemon_json(host, settings).get(name) == expected


def test_daemon_json_has_no_insecure_registry_or_unconfined_seccomp(host, settings):
    if not (enabled(settings, "insecure_registries") or enabled(settings, "seccomp_profile")):
        pytest.skip("neither insecure_registries nor seccomp_profile is enabled")
    config = _daemon_json(host, settings)
    if enabled(settings, "insecure_registries"):
        assert "insecure-registries" not in config
    if enabled(settings, "seccomp_profile"):
        assert str(config.get("seccomp-profile", "")).lower() != "unconfined"


def _modes(settings, key: str, items: list[dict]) -> list[tuple[str, str, str, int]]:
    if not enabled(settings, key):
        pytest.skip(f"{key} is not enabled")
    return [(i["path"], i.get("owner", "root"), i.get("group", "root"), int(str(i["mode"]), 8))
            for i in items if i["path"]]


def test_docker_file_modes(host, settings):
    items = [*settings["docker_file_permissions_files"], {"path": settings["daemon_json_path"], "mode": "0644"}]
    for path, owner, group, mode in _modes(settings, "docker_file_permissions", items):
        found = host.file(path)
        if found.exists:
            assert (found.user, found.group, found.mode) == (owner, group, mode), path


def test_socket_modes(host, settings):
    for path, owner, group, mode in _modes(settings, "docker_socket_permissions",
                                           settings["docker_socket_permissions_sockets"]):
        found = host.file(path)
        if found.exists:
            assert (found.user, found.group, found.mode) == (owner, group, mode), path


def test_audit_rules_file(host, settings):
    if not enabled(settings, "audit_rules"):
        pytest.skip("audit_rules is not enabled")
    rules = host.file(settings["audit_rules_path"])
    assert rules.exists and rules.user == "root" and rules.mode & 0o027 == 0
    assert f"-w {settings['daemon_json_path']} -p wa -k docker" in rules.content_string.splitlines()


def test_sysctl_file(host, settings):
    if not enabled(settings, "kernel_sysctls"):
        pytest.skip("kernel_sysctls is not enabled")
    lines = host.file(settings["kernel_sysctls_path"]).content_string.splitlines()
    for name, value in settings["kernel_sysctls_values"].items():
        assert f"{name} = {value}" in lines
    assert not any("forwarding" in line or "ip_forward" in line for line in lines)


def test_nightly_audit_is_scheduled(host, settings):
    if not enabled(settings, "scheduled_audit"):
        pytest.skip("scheduled_audit is not enabled")
    cron = host.file(settings["scheduled_audit_cron_file"])
    assert cron.exists and " audit --format json --output " in cron.content_string
    assert host.file(settings["scheduled_audit_output_dir"]).mode == 0o700
