"""Rows of the dangerous-capability family."""

import pytest

from hostaudit.model import Status
from tests.unit.checks.container._proc import with_proc
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


# bit numbers of the family's capabilities, as linux/capability.h defines them (the kernel's ABI, not hostaudit.caps)
KERNEL_BITS = {"DAC_READ_SEARCH": 2, "NET_ADMIN": 12, "NET_RAW": 13, "SYS_MODULE": 16, "SYS_RAWIO": 17,
               "SYS_PTRACE": 19, "SYS_ADMIN": 21, "SYS_BOOT": 22, "SYS_TIME": 25, "MAC_OVERRIDE": 32,
               "MAC_ADMIN": 33, "SYSLOG": 34, "PERFMON": 38, "BPF": 39}
FAMILY = sorted(f"container.cap_{name.lower()}" for name in KERNEL_BITS)


@pytest.mark.parametrize("check_id", FAMILY)
def test_proc_bounding_set_wins_over_a_declaration_that_grants_nothing(lab_snapshot, check_id):
    """`hardened` declares --cap-drop ALL; its /proc says what the kernel recorded for `sysadmin` (a real CapBnd):
    each row fails exactly when the kernel's bit is set, and says the declaration differs."""
    cap_bnd = lab_snapshot.runtime["docker:sysadmin"].cap_bnd
    name = check_id.removeprefix("container.cap_").upper()
    held = bool(cap_bnd >> KERNEL_BITS[name] & 1)
    result = results_by_subject(check_id, with_proc(lab_snapshot, "hardened", cap_bnd=cap_bnd))["hardened"]
    assert result.status is (Status.FAIL if held else Status.PASS)
    assert result.evidence["capabilities.source"] == "/proc CapBnd"
    assert result.evidence[f"capabilities.has_{name}"] is held
    differs = set(result.evidence["capabilities.declared_differs"]) & set(KERNEL_BITS)
    assert differs == {n for n, bit in KERNEL_BITS.items() if cap_bnd >> bit & 1}  # the declaration grants none


def test_proc_bounding_set_wins_over_a_declaration_that_grants_sys_admin(lab_snapshot):
    """`sysadmin` declares --cap-add SYS_ADMIN; its /proc says the kernel's empty set recorded for `hardened`."""
    assert lab_snapshot.runtime["docker:hardened"].cap_bnd == 0
    result = results_by_subject("container.cap_sys_admin", with_proc(lab_snapshot, "sysadmin", cap_bnd=0))["sysadmin"]
    assert result.status is Status.PASS
    assert result.evidence["capabilities.has_SYS_ADMIN"] is False
    assert "SYS_ADMIN" in result.evidence["capabilities.declared_differs"]
