from hostaudit.model import Status
from tests.unit.checks.daemon._variants import with_daemon
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

CHECK = "container.bridge_peers_reachable"


def _on(snapshot, *networks, mode="bridge"):
    return replace_container(snapshot, "hardened", network_mode=mode, networks=networks)


def test_default_bridge_with_icc_on_fails(lab_snapshot):
    snapshot = with_daemon(_on(lab_snapshot, "bridge"), flags={"iptables": ("true",)})
    result = results_by_subject(CHECK, snapshot)["hardened"]
    assert result.status is Status.FAIL
    assert (result.evidence["daemon.icc"], result.evidence["network"]) == (True, "default-bridge")


def test_default_bridge_with_icc_off_passes(lab_snapshot):
    snapshot = with_daemon(_on(lab_snapshot, "bridge"), config={"icc": False}, flags={"iptables": ("true",)})
    result = results_by_subject(CHECK, snapshot)["hardened"]
    assert result.status is Status.PASS
    assert result.evidence["daemon.icc.source"].startswith("daemon.json")


def test_iptables_off_leaves_even_user_networks_open(lab_snapshot):
    result = results_by_subject(CHECK, _on(lab_snapshot, "backend", mode="backend"))["hardened"]
    assert result.status is Status.FAIL  # the lab daemon runs with --iptables=false
    assert result.evidence["daemon.iptables"] is False
    assert result.evidence["see"] == "daemon.iptables_disabled"
    isolated = with_daemon(_on(lab_snapshot, "backend", mode="backend"), flags={"iptables": ("true",)})
    assert results_by_subject(CHECK, isolated)["hardened"].status is Status.PASS


def test_host_network_detached_and_containerd_are_not_applicable(lab_snapshot):
    results = results_by_subject(CHECK, lab_snapshot)
    assert results["host-net"].status is Status.NOT_APPLICABLE
    assert results["etc-ro"].status is Status.FAIL  # the default bridge, as the real-daemon tests find it
    assert results["hardened"].status is Status.NOT_APPLICABLE
    assert results["hardened"].evidence["network"] == "none"
    detached = results_by_subject(CHECK, replace_container(lab_snapshot, "etc-ro", networks=()))["etc-ro"]
    assert (detached.status, detached.evidence["network"]) == (Status.NOT_APPLICABLE, "detached")
    assert results["shop/risky/app"].evidence["see"] == "cni.no_network_policy_enforcement"


def test_unknown_when_docker_cannot_be_listed(lab_snapshot):
    assert_unknown_without_docker(CHECK, lab_snapshot)
