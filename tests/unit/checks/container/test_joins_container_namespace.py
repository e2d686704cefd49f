from hostaudit.model import Status
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

CHECK = "container.joins_container_namespace"


def _joining(snapshot, name, kind, target):
    ctr = next(c for c in snapshot.containers if c.name == name)
    return replace_container(snapshot, name, namespaces={**ctr.namespaces, kind: f"container:{target}"})


def test_joining_a_host_network_container_reaches_the_host(lab_snapshot):
    host_net = next(c for c in lab_snapshot.containers if c.name == "host-net")
    result = results_by_subject(CHECK, _joining(lab_snapshot, "etc-ro", "network", host_net.id))["etc-ro"]
    assert result.status is Status.FAIL
    assert result.evidence["namespaces.network.joins"] == ["host-net"]
    assert result.evidence["reaches_host"] == ["network"]


def test_joins_are_followed_transitively(lab_snapshot):
    snapshot = _joining(_joining(lab_snapshot, "etc-ro", "pid", "sock"), "sock", "pid", "host-pid")
    result = results_by_subject(CHECK, snapshot)["etc-ro"]
    assert result.evidence["namespaces.pid.joins"] == ["sock", "host-pid"]
    assert result.evidence["namespaces.pid.reaches"] == "host"


def test_joining_a_private_container_fails_without_reaching_the_host(lab_snapshot):
    result = results_by_subject(CHECK, _joining(lab_snapshot, "etc-ro", "ipc", "hardened"))["etc-ro"]
    assert result.status is Status.FAIL
    assert result.evidence["namespaces.ipc.reaches"] == "private"
    assert result.evidence["reaches_host"] == []


def test_a_loop_and_a_missing_container_end_the_chain(lab_snapshot):
    snapshot = _joining(_joining(lab_snapshot, "etc-ro", "network", "sock"), "sock", "network", "etc-ro")
    assert results_by_subject(CHECK, snapshot)["etc-ro"].evidence["namespaces.network.reaches"] == "loop"
    missing = results_by_subject(CHECK, _joining(lab_snapshot, "etc-ro", "network", "gone"))["etc-ro"]
    assert missing.evidence["namespaces.network.reaches"] == "unknown"


def test_own_namespaces_pass(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["hardened"]
    assert result.status is Status.PASS
    assert result.evidence == {"reaches_host": []}


def test_unknown_when_docker_cannot_be_listed(lab_snapshot):
    assert_unknown_without_docker(CHECK, lab_snapshot)
