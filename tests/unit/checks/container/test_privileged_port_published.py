from hostaudit.model import PortBinding, Status
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

CHECK = "container.privileged_port_published"


def test_port_below_1024_fails(lab_snapshot):
    ports = (PortBinding("80/tcp", "127.0.0.1", "80"), PortBinding("443/tcp", "", "8443"))
    result = results_by_subject(CHECK, replace_container(lab_snapshot, "etc-ro", ports=ports))["etc-ro"]
    assert result.status is Status.FAIL
    assert result.evidence["ports.privileged"] == ["127.0.0.1:80->80/tcp"]


def test_port_1024_and_random_ports_pass(lab_snapshot):
    ports = (PortBinding("80/tcp", "", "1024"), PortBinding("53/udp", "", ""), PortBinding("22/tcp", "", "0"))
    result = results_by_subject(CHECK, replace_container(lab_snapshot, "etc-ro", ports=ports))["etc-ro"]
    assert result.status is Status.PASS
    assert result.evidence["ports.privileged"] == []


def test_unknown_when_docker_cannot_be_listed(lab_snapshot):
    assert_unknown_without_docker(CHECK, lab_snapshot)
