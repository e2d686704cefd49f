import pytest

from hostaudit.model import Presence, Status
from tests.unit.checks.daemon._variants import with_daemon
from tests.unit.checks.files._scenarios import LOOSE, TIGHT, with_file
from tests.unit.conftest import load, results_by_subject, with_collector_error

# every row of the family: the file it judges in the scenarios, and the owner it expects
ROWS = {
    "files.docker_service_wrong_owner": ("/lib/systemd/system/docker.service", "root:root"),
    "files.docker_socket_unit_wrong_owner": ("/lib/systemd/system/docker.socket", "root:root"),
    "files.etc_docker_wrong_owner": ("/etc/docker", "root:root"),
    "files.registry_certs_wrong_owner": ("/etc/docker/certs.d/registry.example:5000/client.key", "root:root"),
    "files.tls_ca_cert_wrong_owner": ("/etc/docker/tls/ca.pem", "root:root"),
    "files.tls_server_cert_wrong_owner": ("/etc/docker/tls/server.pem", "root:root"),
    "files.tls_server_key_wrong_owner": ("/etc/docker/tls/server-key.pem", "root:root"),
    "files.docker_sock_wrong_owner": ("/run/docker.sock", "root:docker"),
    "files.daemon_json_wrong_owner": ("/etc/docker/daemon.json", "root:root"),
    "files.etc_default_docker_wrong_owner": ("/etc/default/docker", "root:root"),
    "files.containerd_sock_wrong_owner": ("/run/containerd/containerd.sock", "root:root"),
}
SYSCONFIG = "files.etc_sysconfig_docker_wrong_owner"


@pytest.mark.parametrize(("check_id", "row"), sorted(ROWS.items()))
def test_expected_owner_passes(check_id, row):
    path, expected = row
    result = results_by_subject(check_id, load(TIGHT))[path]
    assert result.status is Status.PASS
    assert result.evidence["owner"] == expected
    assert result.evidence["expected"] == expected


@pytest.mark.parametrize(("check_id", "row"), sorted(ROWS.items()))
def test_a_user_owner_fails(check_id, row):
    path, _expected = row
    snapshot = with_file(load(TIGHT), path, uid=1000, owner="alice")
    result = results_by_subject(check_id, snapshot)[path]
    assert result.status is Status.FAIL
    assert result.evidence["uid"] == 1000


def test_every_registry_file_is_checked_not_only_crt():
    """docker-bench regression: only *.crt files below certs.d were looked at."""
    results = results_by_subject("files.registry_certs_wrong_owner", load(LOOSE))
    assert results["/etc/docker/certs.d/registry.example:5000/ca.crt"].status is Status.PASS
    key = results["/etc/docker/certs.d/registry.example:5000/client.key"]
    assert key.status is Status.FAIL
    assert key.evidence["owner"] == "alice:root"


def test_socket_in_another_group_fails():
    result = results_by_subject("files.docker_sock_wrong_owner", load(LOOSE))["/run/docker.sock"]
    assert result.status is Status.FAIL
    assert result.evidence["owner"] == "root:staff"


def test_socket_group_set_with_the_group_option_passes():
    snapshot = with_daemon(load(LOOSE), flags={"group": ("staff",)})
    result = results_by_subject("files.docker_sock_wrong_owner", snapshot)["/run/docker.sock"]
    assert result.status is Status.PASS


def test_a_group_other_than_root_fails_for_root_only_files():
    path = "/etc/docker/daemon.json"
    result = results_by_subject("files.daemon_json_wrong_owner", with_file(load(TIGHT), path, gid=105,
                                                                          group="docker"))[path]
    assert result.status is Status.FAIL
    assert result.evidence["owner"] == "root:docker"


def test_absent_file_is_not_applicable():
    result = results_by_subject(SYSCONFIG, load(TIGHT))["/etc/sysconfig/docker"]
    assert result.status is Status.NOT_APPLICABLE


def test_sysconfig_file_is_judged_when_present():
    path = "/etc/sysconfig/docker"
    present = {"presence": Presence.PRESENT, "mode": 0o644, "kind": "file"}
    root = with_file(load(TIGHT), path, uid=0, gid=0, owner="root", group="root", **present)
    assert results_by_subject(SYSCONFIG, root)[path].status is Status.PASS
    user = with_file(load(TIGHT), path, uid=1000, gid=0, owner="alice", group="root", **present)
    result = results_by_subject(SYSCONFIG, user)[path]
    assert result.status is Status.FAIL
    assert result.evidence["owner"] == "alice:root"


def test_unreadable_file_is_unknown():
    path = "/etc/docker"
    snapshot = with_file(load(TIGHT), path, presence=Presence.UNREADABLE, mode=None, uid=None, gid=None)
    assert results_by_subject("files.etc_docker_wrong_owner", snapshot)[path].status is Status.UNKNOWN


def test_unknown_when_the_files_could_not_be_collected():
    snapshot = with_collector_error(load(TIGHT), "files")
    assert results_by_subject("files.etc_docker_wrong_owner", snapshot)["host"].status is Status.UNKNOWN


def test_both_file_families_have_a_row_for_every_file_of_the_table():
    from hostaudit.checks.files import ownership, permissions
    from hostaudit.checks.files._table import FILES

    assert [row.spec for row in ownership.ROWS] == list(FILES) == [row.spec for row in permissions.ROWS]
