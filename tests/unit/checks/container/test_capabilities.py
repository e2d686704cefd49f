"""Rows of the dangerous-capability family."""

import pytest

from hostaudit.model import Status
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

ROWS = {
    "container.cap_sys_admin": ("sysadmin", "SYS_ADMIN"),
    "container.cap_sys_ptrace": ("ptrace-pid", "SYS_PTRACE"),
    "container.cap_sys_module": ("module-stopped", "SYS_MODULE"),
    "container.cap_net_raw": ("sysadmin", "NET_RAW"),
}
PRIVILEGED_ONLY = ["container.cap_dac_read_search", "container.cap_net_admin", "container.cap_sys_rawio",
                   "container.cap_sys_boot", "container.cap_bpf", "container.cap_perfmon", "container.cap_syslog",
                   "container.cap_mac_admin", "container.cap_mac_override", "container.cap_sys_time"]


@pytest.mark.parametrize("check_id", sorted(ROWS))
def test_container_holding_the_capability_fails(lab_snapshot, check_id):
    name, capability = ROWS[check_id]
    result = results_by_subject(check_id, lab_snapshot)[name]
    assert result.status is Status.FAIL
    assert result.evidence[f"capabilities.has_{capability}"] is True


@pytest.mark.parametrize("check_id", sorted(ROWS) + PRIVILEGED_ONLY)
def test_hardened_container_passes_from_its_proc_bounding_set(lab_snapshot, check_id):
    result = results_by_subject(check_id, lab_snapshot)["hardened"]
    assert result.status is Status.PASS
    assert result.evidence["capabilities.source"] == "/proc CapBnd"


@pytest.mark.parametrize("check_id", PRIVILEGED_ONLY)
def test_privileged_container_holds_every_capability(lab_snapshot, check_id):
    result = results_by_subject(check_id, lab_snapshot)["priv"]
    assert result.status is Status.FAIL
    assert result.evidence["capabilities.source"] == "declared"


def test_cap_add_all_grants_everything_but_what_is_dropped(lab_snapshot):
    snapshot = replace_container(lab_snapshot, "hardened", cap_add=("ALL",), cap_drop=("SYS_MODULE",))
    assert results_by_subject("container.cap_sys_admin", snapshot)["hardened"].status is Status.FAIL
    assert results_by_subject("container.cap_sys_module", snapshot)["hardened"].status is Status.PASS


def test_containerd_bounding_set_is_read_from_the_oci_spec(lab_snapshot):
    result = results_by_subject("container.cap_sys_admin", lab_snapshot)["shop/risky/app"]
    assert result.status is Status.FAIL


def test_unknown_when_docker_cannot_be_listed(lab_snapshot):
    assert_unknown_without_docker("container.cap_sys_admin", lab_snapshot)
