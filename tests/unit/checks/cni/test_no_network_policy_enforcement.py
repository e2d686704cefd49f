import pytest

from hostaudit.model import Status
from tests.unit.checks._node import with_containerd, with_kubelet, without_kubelet
from tests.unit.conftest import results_by_subject

CHECK = "cni.no_network_policy_enforcement"


@pytest.fixture
def node(lab_snapshot):
    return with_kubelet(lab_snapshot, config="kubeadm-hardened.yaml")


def _host(snapshot):
    return results_by_subject(CHECK, snapshot)["host"]


def test_flannel_alone_fails(node):
    result = _host(with_containerd(node, "v2-cri-hardened.toml", cni="flannel"))
    assert result.status is Status.FAIL
    assert result.evidence["cni.plugins"] == ["flannel", "portmap"]


def test_calico_first_in_file_order_passes(node):
    result = _host(with_containerd(node, "v2-cri-hardened.toml", cni="calico"))
    assert result.status is Status.PASS
    assert result.evidence["cni.config"].endswith("10-calico.conflist")
    assert "calico" in result.evidence["cni.plugins"]


def test_kube_router_is_recognised_by_its_bridge(node):
    result = _host(with_containerd(node, None, cni="kube-router"))
    assert result.status is Status.PASS
    assert result.evidence["cni.bridges"] == ["kube-bridge"]


def test_unknown_plugin_is_unknown_and_broken_files_are_skipped(node):
    result = _host(with_containerd(node, None, cni="unknown-plugin"))
    assert result.status is Status.UNKNOWN
    assert result.evidence["cni.plugins"] == ["vendor-sdn"]


def test_no_cni_configuration_or_no_kubelet_is_not_applicable(node, lab_snapshot):
    assert _host(with_containerd(node, None, cni=None)).status is Status.NOT_APPLICABLE
    assert _host(with_containerd(without_kubelet(lab_snapshot), None, cni="flannel")).status is Status.NOT_APPLICABLE
