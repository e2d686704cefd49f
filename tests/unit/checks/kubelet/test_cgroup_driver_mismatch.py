"""kubelet.cgroup_driver_mismatch over the real parsers' view of kubelet and containerd configuration files."""

from hostaudit.model import Status
from tests.unit.checks._node import with_containerd, with_kubelet, without_kubelet
from tests.unit.conftest import results_by_subject

CHECK = "kubelet.cgroup_driver_mismatch"


def _host(snapshot):
    return results_by_subject(CHECK, snapshot)["host"]


def test_systemd_on_both_passes(lab_snapshot):
    snapshot = with_containerd(with_kubelet(lab_snapshot, config="kubeadm-hardened.yaml"), "v2-cri-hardened.toml")
    result = _host(snapshot)
    assert result.status is Status.PASS
    assert (result.evidence["kubelet.cgroupDriver"], result.evidence["containerd.SystemdCgroup"]) == ("systemd", True)


def test_systemd_kubelet_on_a_cgroupfs_containerd_fails(lab_snapshot):
    result = _host(with_containerd(with_kubelet(lab_snapshot, config="kubeadm-hardened.yaml"), "v2-cri-stock.toml"))
    assert result.status is Status.FAIL
    assert result.evidence["containerd.source"] == "default (false)"


def test_flag_wins_over_the_file(lab_snapshot):
    snapshot = with_containerd(with_kubelet(lab_snapshot, "--cgroup-driver=cgroupfs", config="kubeadm-hardened.yaml"),
                               "v2-cri-stock.toml")
    assert _host(snapshot).status is Status.PASS


def test_unreadable_kubelet_config_is_unknown(lab_snapshot):
    snapshot = with_containerd(with_kubelet(lab_snapshot, config="malformed.yaml"), "v2-cri-stock.toml")
    assert _host(snapshot).status is Status.UNKNOWN


def test_without_kubelet_not_applicable(lab_snapshot):
    assert _host(with_containerd(without_kubelet(lab_snapshot), "v2-cri-stock.toml")).status in (
        Status.NOT_APPLICABLE,)
