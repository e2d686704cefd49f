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
