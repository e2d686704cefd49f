import dataclasses

from hostaudit.model import SocketInfo, Status
from tests.unit.conftest import load, results_by_subject, with_collector_error

CHECK = "host.docker_group_has_members"


def _result(snapshot):
    return results_by_subject(CHECK, snapshot)["host"]


def test_members_of_the_socket_group_fail():
    result = _result(load("host/unaudited-insiders-fail.json"))
    assert result.status is Status.FAIL
    assert result.evidence == {"host.groups.docker": ["alice", "deploy"]}


def test_empty_docker_group_passes():
    result = _result(load("host/audited-host-passes.json"))
    assert result.status is Status.PASS
    assert result.evidence == {"host.groups.docker": []}


def test_the_group_that_really_owns_the_socket_is_the_one_read():
    snapshot = load("host/unaudited-insiders-fail.json")
    socket = SocketInfo("/run/docker.sock", snapshot.docker_daemon.sockets[0].presence, 0o660, "root", "ops")
    daemon = dataclasses.replace(snapshot.docker_daemon, sockets=(socket,))
    result = _result(dataclasses.replace(snapshot, docker_daemon=daemon))
    assert result.status is Status.FAIL
    assert result.evidence == {"host.groups.ops": ["carol"]}


def test_unknown_when_the_host_could_not_be_read(lab_snapshot):
    assert _result(with_collector_error(lab_snapshot, "host")).status is Status.UNKNOWN


def test_sockets_owned_by_group_root_pass_whatever_the_docker_group_holds():
    snapshot = load("host/unaudited-insiders-fail.json")
    socket = SocketInfo("/run/docker.sock", snapshot.docker_daemon.sockets[0].presence, 0o600, "root", "root")
    daemon = dataclasses.replace(snapshot.docker_daemon, sockets=(socket,))
    result = _result(dataclasses.replace(snapshot, docker_daemon=daemon))
    assert result.status is Status.PASS
    assert result.evidence == {"socket_groups": ["root"]}
