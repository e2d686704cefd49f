import dataclasses

from hostaudit.model import Status
from tests.unit.conftest import assert_unknown_without_docker, results_by_subject

CHECK = "container.privileged"


def test_created_privileged_container_fails_on_its_declaration(lab_snapshot):
    results = results_by_subject(CHECK, lab_snapshot)
    assert results["priv"].status is Status.FAIL
    assert results["priv"].evidence["privileged.declared"] is True
    assert results["priv"].evidence["state"] == "created"


def test_unprivileged_containers_pass(lab_snapshot):
    results = results_by_subject(CHECK, lab_snapshot)
    for name in ("hardened", "sysadmin", "host-root", "shop/risky/app"):
        assert results[name].status is Status.PASS, name


def test_running_container_with_the_hosts_bounding_set_and_no_masked_paths_is_privileged(lab_snapshot):
    """containerd's privileged mode grants the host's bounding set, not the full mask."""
    host_bnd = lab_snapshot.host.reference_cap_bnd
    key = "docker:sysadmin"
    proc = dataclasses.replace(lab_snapshot.runtime[key], cap_bnd=host_bnd)
    containers = tuple(dataclasses.replace(c, masked_paths=()) if c.key == key else c
                       for c in lab_snapshot.containers)
    snapshot = dataclasses.replace(lab_snapshot, containers=containers, runtime={**lab_snapshot.runtime, key: proc})
    result = results_by_subject(CHECK, snapshot)["sysadmin"]
    assert result.status is Status.FAIL
    assert result.evidence["proc.cap_bnd"] == result.evidence["host.cap_bnd"]


def test_unknown_when_docker_cannot_be_listed(lab_snapshot):
    assert_unknown_without_docker(CHECK, lab_snapshot)


def _with(snapshot, name: str, cap_bnd: int, masked_paths):
    key = f"docker:{name}"
    proc = dataclasses.replace(snapshot.runtime[key], cap_bnd=cap_bnd)
    containers = tuple(dataclasses.replace(c, masked_paths=masked_paths) if c.key == key else c
                       for c in snapshot.containers)
    return dataclasses.replace(snapshot, containers=containers, runtime={**snapshot.runtime, key: proc})


def test_the_hosts_bounding_set_with_masked_paths_is_not_privileged(lab_snapshot):
    """Both conditions make containerd's privileged mode: every capability alone is the capability checks' job."""
    masked = next(c for c in lab_snapshot.containers if c.name == "sysadmin").masked_paths
    assert masked
    snapshot = _with(lab_snapshot, "sysadmin", lab_snapshot.host.reference_cap_bnd, masked)
    assert results_by_subject(CHECK, snapshot)["sysadmin"].status is Status.PASS


def test_no_masked_paths_with_a_reduced_bounding_set_is_not_privileged(lab_snapshot):
    reduced = lab_snapshot.runtime["docker:sysadmin"].cap_bnd
    assert reduced != lab_snapshot.host.reference_cap_bnd
    snapshot = _with(lab_snapshot, "sysadmin", reduced, ())
    result = results_by_subject(CHECK, snapshot)["sysadmin"]
    assert result.status is Status.PASS
    assert result.evidence["capabilities.source"] == "/proc CapBnd"
