"""After the container_hardening role: daemon.json keys, file modes, audit rules, sysctls and the nightly audit."""

from __future__ import annotations

import json
import shlex

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

RELOADABLE = {"live_restore", "insecure_registries"}  # keys dockerd re-reads on SIGHUP


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
    forced = str(settings.get("audit_rules_without_auditd")).lower() in ("true", "yes", "1")
    if host.run("command -v auditctl").rc != 0 and not forced:
        pytest.skip("auditd is not installed: the role skips audit_rules on this host")
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


# ---------------------------------------------------------------- the running system


def _docker(host, settings, *args: str) -> str:
    command = " ".join(shlex.quote(a) for a in (settings["docker_cli"], "-H", settings["docker_host"], *args))
    return host.check_output(command)


@pytest.fixture(scope="module")
def info(host, settings) -> dict:
    return json.loads(_docker(host, settings, "info", "--format", "{{json .}}"))


def _status_fields(text: str) -> dict[str, str]:
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in text.splitlines())}


def _containers_status(host, settings) -> list[dict[str, str]]:
    """/proc/<pid>/status of a probe container, else of every running container."""
    if settings.get("probe_image"):
        return [_status_fields(_docker(host, settings, "run", "--rm", "--network", "none", "--entrypoint", "/bin/cat",
                                       settings["probe_image"], "/proc/self/status"))]
    ids = _docker(host, settings, "ps", "-q").split()
    pids = [_docker(host, settings, "inspect", "-f", "{{.State.Pid}}", cid).strip() for cid in ids]
    return [_status_fields(host.file(f"/proc/{pid}/status").content_string) for pid in pids]


def test_running_daemon_shows_the_keys(info, settings):
    security = " ".join(info.get("SecurityOptions") or ())
    if enabled(settings, "live_restore"):
        assert info["LiveRestoreEnabled"] is True, "daemon.json says live-restore; the running dockerd does not"
    if enabled(settings, "experimental"):
        assert info["ExperimentalBuild"] is False
    if enabled(settings, "seccomp_profile"):
        assert "profile=unconfined" not in security
    if enabled(settings, "userns_remap"):
        assert "name=userns" in security


def test_containers_get_no_new_privileges_and_seccomp(host, settings):
    statuses = _containers_status(host, settings)
    assert statuses, "no probe image (container_hardening_probe_image) and no running container to look at"
    for status in statuses:
        assert status.get("Seccomp") == "2", status
        if enabled(settings, "no_new_privileges"):
            assert status.get("NoNewPrivs") == "1", status


def test_no_apply_is_pending(host, settings):
    marker = host.file(settings["daemon_json_path"] + ".hostaudit-pending")
    assert not marker.exists, f"{marker.path}: an apply was interrupted; re-run the play to finish it"


def test_dockerd_started_after_its_config_changed(host, settings):
    """Keys dockerd only reads at start (icc, no-new-privileges, ...) are in force only if it started since."""
    if not any(enabled(settings, key) for key in DAEMON_JSON if key not in RELOADABLE):
        pytest.skip("no daemon.json key that needs a restart is enabled")
    path = settings["daemon_json_path"]
    lines = host.check_output("pgrep -a -x dockerd || true").splitlines()
    ours = [line for line in lines if f"--config-file {path}" in line or f"--config-file={path}" in line] or [
        line for line in lines if "--config-file" not in line and path == "/etc/docker/daemon.json"]
    assert len(ours) == 1, f"not exactly one dockerd reads {path}: {ours}"
    pid = ours[0].split()[0]
    now = int(host.check_output("date +%s"))
    started = now - int(host.check_output(f"ps -o etimes= -p {pid}"))
    assert started >= host.file(path).mtime.timestamp() - 1, f"dockerd {pid} runs since before {path} last changed"


def test_audit_rules_are_loaded(host, settings):
    if not enabled(settings, "audit_rules"):
        pytest.skip("audit_rules is not enabled")
    if host.run("pgrep -x auditd").rc != 0:
        pytest.skip("auditd does not run on this host (the rules file is checked above)")
    loaded = host.check_output("auditctl -l").splitlines()
    for path in settings["audit_rules_watches"]:
        if host.file(path).exists:
            assert f"-w {path} -p wa -k docker" in loaded, path
