"""Rows of the kubelet settings family, over KubeletConfiguration files and command lines."""

import pytest

from hostaudit.model import Status
from tests.unit.checks._node import with_kubelet, without_kubelet
from tests.unit.conftest import results_by_subject

IDS = ("kubelet.anonymous_auth_enabled", "kubelet.authorization_always_allow", "kubelet.read_only_port_open",
       "kubelet.protect_kernel_defaults_off", "kubelet.seccomp_default_off", "kubelet.rotate_certificates_off")


def _host(check_id, snapshot):
    return results_by_subject(check_id, snapshot)["host"]


@pytest.mark.parametrize("check_id", IDS)
def test_hardened_kubeadm_config_passes_naming_the_file(lab_snapshot, check_id):
    result = _host(check_id, with_kubelet(lab_snapshot, config="kubeadm-hardened.yaml"))
    assert result.status is Status.PASS
    assert result.evidence["source"].endswith("kubeadm-hardened.yaml: " + next(
        k for k in result.evidence if k.startswith("kubelet.")).removeprefix("kubelet."))


@pytest.mark.parametrize("check_id", IDS)
def test_no_config_file_keeps_the_insecure_flag_defaults(lab_snapshot, check_id):
    result = _host(check_id, with_kubelet(lab_snapshot))
    assert result.status is Status.FAIL
    assert result.evidence["source"] == "flag default (no --config)"


def test_anonymous_auth_on_and_always_allow_fail_from_the_file(lab_snapshot):
    snapshot = with_kubelet(lab_snapshot, config="anonymous-auth-on.yaml")
    anonymous = _host("kubelet.anonymous_auth_enabled", snapshot)
    assert anonymous.status is Status.FAIL
    assert anonymous.evidence["kubelet.authentication.anonymous.enabled"] is True
    assert _host("kubelet.authorization_always_allow", snapshot).evidence["kubelet.authorization.mode"] == "AlwaysAllow"
    assert _host("kubelet.read_only_port_open", snapshot).evidence["kubelet.readOnlyPort"] == 10255


def test_config_file_defaults_are_the_safer_v1beta1_ones(lab_snapshot):
    snapshot = with_kubelet(lab_snapshot, config="defaults-only.yaml")
    assert _host("kubelet.anonymous_auth_enabled", snapshot).status is Status.PASS
    assert _host("kubelet.read_only_port_open", snapshot).evidence["source"].startswith("KubeletConfiguration default")
    assert _host("kubelet.seccomp_default_off", snapshot).status is Status.FAIL


def test_flags_override_the_config_file(lab_snapshot):
    snapshot = with_kubelet(lab_snapshot, "--anonymous-auth=true", "--read-only-port", "10255", "--seccomp-default",
                            config="kubeadm-hardened.yaml")
    assert _host("kubelet.anonymous_auth_enabled", snapshot).evidence["source"] == "argv --anonymous-auth"
    assert _host("kubelet.anonymous_auth_enabled", snapshot).status is Status.FAIL
    assert _host("kubelet.read_only_port_open", snapshot).status is Status.FAIL
    assert _host("kubelet.seccomp_default_off", snapshot).status is Status.PASS


@pytest.mark.parametrize("check_id", IDS)
def test_malformed_config_is_unknown_with_the_parse_error(lab_snapshot, check_id):
    result = _host(check_id, with_kubelet(lab_snapshot, config="malformed.yaml"))
    assert result.status is Status.UNKNOWN
    assert "invalid YAML" in result.evidence["error"]


@pytest.mark.parametrize("check_id", IDS)
def test_no_kubelet_is_not_applicable(lab_snapshot, check_id):
    assert _host(check_id, without_kubelet(lab_snapshot)).status is Status.NOT_APPLICABLE


@pytest.mark.parametrize("check_id", IDS)
def test_config_changed_after_the_kubelet_started_is_not_in_force(lab_snapshot, check_id):
    import dataclasses

    snapshot = with_kubelet(lab_snapshot, config="kubeadm-hardened.yaml")
    modified = snapshot.kubelet.config.modified_at
    kubelet = dataclasses.replace(snapshot.kubelet, started_at=modified - 60)
    result = _host(check_id, dataclasses.replace(snapshot, kubelet=kubelet))
    assert result.status is Status.UNKNOWN
    assert "not in force until kubelet restarts" in result.detail
