import dataclasses

from hostaudit.model import Status, SudoGrant
from tests.unit.conftest import load, results_by_subject, with_collector_error

CHECK = "host.sudo_docker_allowed"


def _result(snapshot):
    return results_by_subject(CHECK, snapshot)["host"]


def _host(snapshot, **changes):
    return dataclasses.replace(snapshot, host=dataclasses.replace(snapshot.host, **changes))


def test_direct_and_group_grants_fail_with_the_users_they_reach():
    result = _result(load("host/unaudited-insiders-fail.json"))
    assert result.status is Status.FAIL
    assert result.evidence["users"] == ["bob", "carol"]
    assert {g["origin"] for g in result.evidence["host.sudo_grants"]} == {"/etc/sudoers.d/bob:1", "/etc/sudoers:27"}


def test_no_grants_pass():
    result = _result(load("host/audited-host-passes.json"))
    assert result.status is Status.PASS
    assert result.evidence == {"host.sudo_grants": [], "host.sudoers_unreadable": []}


def test_grant_to_an_empty_group_reaches_nobody(lab_snapshot):
    snapshot = _host(lab_snapshot, sudo_grants=(SudoGrant("%sudo", "ALL", "/etc/sudoers:50"),))
    result = _result(snapshot)
    assert result.status is Status.PASS
    assert result.evidence["host.sudo_grants"][0]["users"] == []


def test_unknown_when_sudoers_could_not_be_read(lab_snapshot):
    result = _result(_host(lab_snapshot, sudoers_unreadable=("/etc/sudoers",)))
    assert result.status is Status.UNKNOWN
    assert result.evidence["host.sudoers_unreadable"] == ["/etc/sudoers"]


def test_unknown_when_the_host_could_not_be_read(lab_snapshot):
    assert _result(with_collector_error(lab_snapshot, "host")).status is Status.UNKNOWN
