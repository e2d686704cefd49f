from hostaudit import caps
from hostaudit.model import Status
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

CHECK = "container.net_raw_on_shared_network"


def test_default_capabilities_on_a_bridge_fail(lab_snapshot):
    snapshot = replace_container(lab_snapshot, "etc-ro", network_mode="bridge", networks=("bridge",))
    result = results_by_subject(CHECK, snapshot)["etc-ro"]
    assert result.status is Status.FAIL
    assert result.evidence["capabilities.has_NET_RAW"] is True
    assert result.evidence["network"] == "default-bridge"


def test_dropped_net_raw_passes(lab_snapshot):
    snapshot = replace_container(lab_snapshot, "hardened", network_mode="bridge", networks=("bridge",))
    result = results_by_subject(CHECK, snapshot)["hardened"]
    assert result.status is Status.PASS
    assert result.evidence["capabilities.has_NET_RAW"] is False


def test_pod_on_the_host_network_fails_by_its_effective_capabilities(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["shop/risky/app"]
    assert result.status is Status.FAIL
    assert result.evidence["capabilities.effective.has_NET_RAW"] is True
    assert caps.names(lab_snapshot.runtime["k8s:shop/risky/app"].cap_eff) >= {"NET_RAW"}
    assert results_by_subject(CHECK, lab_snapshot)["shop/locked/web"].status is Status.PASS  # dropped


def test_no_network_is_not_applicable(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["hardened"]  # --network none
    assert result.status is Status.NOT_APPLICABLE
    assert result.evidence["network"] == "none"
    detached = results_by_subject(CHECK, replace_container(lab_snapshot, "etc-ro", networks=()))["etc-ro"]
    assert (detached.status, detached.evidence["network"]) == (Status.NOT_APPLICABLE, "detached")


def test_unknown_when_docker_cannot_be_listed(lab_snapshot):
    assert_unknown_without_docker(CHECK, lab_snapshot)
