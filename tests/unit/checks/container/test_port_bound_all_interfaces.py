import pytest

from hostaudit.model import PortBinding, Status
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

CHECK = "container.port_bound_all_interfaces"


@pytest.mark.parametrize("address", ["", "0.0.0.0", "::"])
def test_wildcard_address_fails(lab_snapshot, address):
    ports = (PortBinding("80/tcp", address, "8080"),)
    result = results_by_subject(CHECK, replace_container(lab_snapshot, "etc-ro", ports=ports))["etc-ro"]
    assert result.status is Status.FAIL
    assert result.evidence["ports.all_interfaces"] == [f"{address or '*'}:8080->80/tcp"]


def test_specific_address_passes(lab_snapshot):
    ports = (PortBinding("80/tcp", "127.0.0.1", "8080"),)
    result = results_by_subject(CHECK, replace_container(lab_snapshot, "etc-ro", ports=ports))["etc-ro"]
    assert result.status is Status.PASS
    assert result.evidence["ports"] == ["127.0.0.1:8080->80/tcp"]


def test_unknown_when_docker_cannot_be_listed(lab_snapshot):
    assert_unknown_without_docker(CHECK, lab_snapshot)
