from hostaudit.model import Status
from tests.unit.checks.container._lsm_variants import with_host
from tests.unit.conftest import replace_container, results_by_subject

CHECK = "container.selinux_disabled"


def test_not_applicable_without_selinux(lab_snapshot):
    assert results_by_subject(CHECK, lab_snapshot)["hardened"].status is Status.NOT_APPLICABLE


def test_label_disable_fails_and_container_t_passes(lab_snapshot):
    snapshot = with_host(lab_snapshot, selinux_mode="enforcing")
    snapshot = replace_container(snapshot, "sysadmin", selinux_label="disable")
    snapshot = replace_container(snapshot, "hardened-stopped",
                                 selinux_label="system_u:system_r:container_t:s0:c1,c2")
    results = results_by_subject(CHECK, snapshot)
    assert results["sysadmin"].status is Status.FAIL
    assert results["sysadmin"].evidence["selinux.label"] == "disable"
    assert results["hardened-stopped"].status is Status.PASS


def test_spc_t_is_unconfined(lab_snapshot):
    snapshot = replace_container(with_host(lab_snapshot, selinux_mode="permissive"), "hardened-stopped",
                                 selinux_label="system_u:system_r:spc_t:s0")
    assert results_by_subject(CHECK, snapshot)["hardened-stopped"].status is Status.FAIL
