import pytest

from hostaudit.model import Presence, Status
from tests.unit.checks.files._scenarios import LOOSE, TIGHT, with_file
from tests.unit.conftest import load, results_by_subject, with_collector_error

# every row of the family: the file it judges in the scenarios, and its widest allowed mode
ROWS = {
    "files.docker_service_permissive_mode": ("/lib/systemd/system/docker.service", "0644"),
    "files.docker_socket_unit_permissive_mode": ("/lib/systemd/system/docker.socket", "0644"),
    "files.etc_docker_permissive_mode": ("/etc/docker", "0755"),
    "files.registry_certs_permissive_mode": ("/etc/docker/certs.d/registry.example:5000/ca.crt", "0444"),
    "files.tls_ca_cert_permissive_mode": ("/etc/docker/tls/ca.pem", "0444"),
    "files.tls_server_cert_permissive_mode": ("/etc/docker/tls/server.pem", "0444"),
    "files.tls_server_key_permissive_mode": ("/etc/docker/tls/server-key.pem", "0400"),
    "files.docker_sock_permissive_mode": ("/run/docker.sock", "0660"),
    "files.daemon_json_permissive_mode": ("/etc/docker/daemon.json", "0644"),
    "files.etc_default_docker_permissive_mode": ("/etc/default/docker", "0644"),
    "files.containerd_sock_permissive_mode": ("/run/containerd/containerd.sock", "0660"),
}
SYSCONFIG = "files.etc_sysconfig_docker_permissive_mode"


@pytest.mark.parametrize(("check_id", "row"), sorted(ROWS.items()))
def test_tight_modes_pass(check_id, row):
    path, allowed = row
    result = results_by_subject(check_id, load(TIGHT))[path]
    assert result.status is Status.PASS
    assert result.evidence["allowed"] == allowed
    assert result.evidence["excess"] == "0000"


@pytest.mark.parametrize(("check_id", "row"), sorted(ROWS.items()))
def test_group_or_world_write_fails(check_id, row):
    path, _allowed = row
    result = results_by_subject(check_id, with_file(load(TIGHT), path, mode=0o666))[path]
    assert result.status is Status.FAIL
    assert result.evidence["mode"] == "0666"


@pytest.mark.parametrize(("path", "check_id", "mode", "excess"), [
    ("/run/docker.sock", "files.docker_sock_permissive_mode", "0606", "0006"),
    ("/etc/docker", "files.etc_docker_permissive_mode", "0747", "0002"),
    ("/etc/docker/daemon.json", "files.daemon_json_permissive_mode", "4644", "4000"),
    ("/etc/docker/tls/server-key.pem", "files.tls_server_key_permissive_mode", "0600", "0200"),
    ("/run/containerd/containerd.sock", "files.containerd_sock_permissive_mode", "0666", "0006"),
    ("/etc/docker/certs.d/registry.example:5000/client.key", "files.registry_certs_permissive_mode", "0644", "0200"),
])
def test_octal_masks_catch_what_a_decimal_compare_lets_through(path, check_id, mode, excess):
    """docker-bench regression: `stat -c %a` compared as decimal passed 606 <= 660 and 747 <= 755."""
    result = results_by_subject(check_id, load(LOOSE))[path]
    assert result.status is Status.FAIL
    assert result.evidence["mode"] == mode
    assert result.evidence["excess"] == excess


def test_narrower_mode_passes():
    """docker-bench required exactly 400 for the TLS key and failed 0000; narrower is fine."""
    path = "/etc/docker/tls/server-key.pem"
    result = results_by_subject("files.tls_server_key_permissive_mode", with_file(load(TIGHT), path, mode=0))[path]
    assert result.status is Status.PASS


def test_absent_file_is_not_applicable():
    result = results_by_subject(SYSCONFIG, load(TIGHT))["/etc/sysconfig/docker"]
    assert result.status is Status.NOT_APPLICABLE
    assert result.evidence["presence"] == "absent"


def test_sysconfig_file_is_judged_when_present():
    path = "/etc/sysconfig/docker"
    snapshot = with_file(load(TIGHT), path, presence=Presence.PRESENT, mode=0o664, uid=0, gid=0, kind="file")
    result = results_by_subject(SYSCONFIG, snapshot)[path]
    assert result.status is Status.FAIL
    assert result.evidence["excess"] == "0020"
    tight = with_file(load(TIGHT), path, presence=Presence.PRESENT, mode=0o644, uid=0, gid=0, kind="file")
    assert results_by_subject(SYSCONFIG, tight)[path].status is Status.PASS


def test_tls_not_configured_is_not_applicable(lab_snapshot):
    result = results_by_subject("files.tls_ca_cert_permissive_mode", lab_snapshot)["host"]
    assert result.status is Status.NOT_APPLICABLE
    assert result.evidence == {"files.role": "tlscacert"}


def test_unreadable_file_is_unknown():
    path = "/etc/docker/daemon.json"
    snapshot = with_file(load(TIGHT), path, presence=Presence.UNREADABLE, mode=None, error="permission denied")
    result = results_by_subject("files.daemon_json_permissive_mode", snapshot)[path]
    assert result.status is Status.UNKNOWN
    assert result.evidence["error"] == "permission denied"


def test_unknown_when_the_files_could_not_be_collected():
    snapshot = with_collector_error(load(TIGHT), "files")
    assert results_by_subject("files.docker_sock_permissive_mode", snapshot)["host"].status is Status.UNKNOWN
