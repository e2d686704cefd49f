"""Rows of the containerd CRI settings family, over config.toml fixtures (version 1 and 2 layouts)."""

import dataclasses

import pytest

from hostaudit.model import Status
from tests.unit.checks._node import with_containerd, with_kubelet, with_main, without_kubelet
from tests.unit.conftest import results_by_subject

KEYS = {
    "containerd.apparmor_disabled": "disable_apparmor",
    "containerd.selinux_disabled": "enable_selinux",
    "containerd.privileged_gets_host_devices": "privileged_without_host_devices",
    "containerd.unprivileged_ports_disabled": "enable_unprivileged_ports",
    "containerd.unprivileged_icmp_disabled": "enable_unprivileged_icmp",
    "containerd.device_ownership_from_root": "device_ownership_from_security_context",
    "containerd.oom_score_adj_unrestricted": "restrict_oom_score_adj",
}


@pytest.fixture
def node(lab_snapshot):
    """A Kubernetes node where AppArmor and SELinux are both on, so every row applies."""
    host = dataclasses.replace(lab_snapshot.host, apparmor_enabled=True, selinux_mode="enforcing")
    return with_kubelet(dataclasses.replace(lab_snapshot, host=host), config="kubeadm-hardened.yaml")


def _host(check_id, snapshot):
    return results_by_subject(check_id, snapshot)["host"]


@pytest.mark.parametrize("check_id", sorted(KEYS))
def test_hardened_v2_config_passes_naming_the_table(node, check_id):
    result = _host(check_id, with_containerd(node, "v2-cri-hardened.toml"))
    assert result.status is Status.PASS
    assert 'plugins."io.containerd.grpc.v1.cri"' in result.evidence["source"]
    assert f"containerd.{KEYS[check_id]}" in result.evidence


@pytest.mark.parametrize("check_id", sorted(KEYS))
def test_defaults_of_containerd_1_6_fail(node, check_id):
    result = _host(check_id, with_containerd(node, "v2-cri-stock.toml"))
    assert result.status is Status.FAIL
    assert KEYS[check_id] in result.evidence["source"] or result.evidence["source"].startswith("default of")


def test_containerd_2_defaults_allow_unprivileged_ports_and_ping(node):
    snapshot = with_containerd(node, None, version="2.0.2")
    assert _host("containerd.unprivileged_ports_disabled", snapshot).status is Status.PASS
    assert _host("containerd.unprivileged_icmp_disabled", snapshot).evidence["source"].startswith("default of")


def test_version_1_layout_is_read_from_plugins_cri(node):
    snapshot = with_containerd(node, "v1-cri.toml")
    apparmor = _host("containerd.apparmor_disabled", snapshot)
    assert apparmor.status is Status.FAIL
    assert apparmor.evidence["source"].endswith("plugins.cri.disable_apparmor")
    assert _host("containerd.unprivileged_ports_disabled", snapshot).status is Status.PASS


@pytest.mark.parametrize("check_id", sorted(KEYS))
def test_malformed_config_is_unknown(node, check_id):
    result = _host(check_id, with_containerd(node, "malformed.toml"))
    assert result.status is Status.UNKNOWN
    assert "invalid TOML" in result.evidence["error"]


@pytest.mark.parametrize("check_id", sorted(KEYS))
def test_cri_disabled_or_no_kubernetes_is_not_applicable(node, lab_snapshot, check_id):
    assert _host(check_id, with_containerd(node, "cri-disabled.toml")).status is Status.NOT_APPLICABLE
    no_pods = dataclasses.replace(lab_snapshot.containerd, pods=())
    bare = without_kubelet(dataclasses.replace(lab_snapshot, containerd=no_pods))
    assert _host(check_id, with_containerd(bare, "v2-cri-stock.toml")).status is Status.NOT_APPLICABLE


def test_lsm_rows_are_not_applicable_without_the_lsm(node):
    host = dataclasses.replace(node.host, apparmor_enabled=False, selinux_mode=None)
    snapshot = with_containerd(dataclasses.replace(node, host=host), "v2-cri-stock.toml")
    assert _host("containerd.apparmor_disabled", snapshot).status is Status.NOT_APPLICABLE
    assert _host("containerd.selinux_disabled", snapshot).evidence["host.selinux"] is False


@pytest.mark.parametrize("check_id", sorted(KEYS))
def test_config_toml_changed_after_containerd_started_is_not_in_force(node, check_id):
    snapshot = with_containerd(node, "v2-cri-hardened.toml")
    modified = snapshot.containerd.main.config.modified_at
    assert modified is not None  # the real file's mtime, read by the collector's reader
    started_before = with_main(snapshot.containerd, started_at=modified - 60)
    result = _host(check_id, dataclasses.replace(snapshot, containerd=started_before))
    assert result.status is Status.UNKNOWN
    assert "not in force until containerd restarts" in result.detail
    started_after = with_main(snapshot.containerd, started_at=modified + 60)
    assert _host(check_id, dataclasses.replace(snapshot, containerd=started_after)).status is Status.PASS


def test_pods_read_through_cri_make_the_settings_apply_without_a_kubelet(lab_snapshot):
    from hostaudit.model import CriFacts, Pod

    no_pods = dataclasses.replace(lab_snapshot.containerd, pods=())
    cri = CriFacts("unix:///run/containerd/containerd.sock", "test", "containerd", "1.6.20", "v1", (),
                   (Pod("shop", "web", "sandbox-1", None, (), ()),))
    bare = without_kubelet(dataclasses.replace(lab_snapshot, containerd=no_pods, cri=cri))
    result = _host("containerd.privileged_gets_host_devices", with_containerd(bare, "v2-cri-stock.toml"))
    assert result.status is Status.FAIL
