"""Rows of the host-namespace family."""

import dataclasses

import pytest

from hostaudit.model import Status
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

ROWS = {
    "container.host_pid": "host-pid",
    "container.host_network": "host-net",
    "container.host_ipc": "host-ipc",
    "container.host_uts": "host-uts",
    "container.host_cgroupns": "host-cgroupns",
}


@pytest.mark.parametrize("check_id", sorted(ROWS))
def test_running_container_in_the_host_namespace_fails_by_inode(lab_snapshot, check_id):
    result = results_by_subject(check_id, lab_snapshot)[ROWS[check_id]]
    assert result.status is Status.FAIL
    kind = check_id.split("_", 1)[1].removesuffix("ns")
    assert result.evidence[f"namespaces.{kind}.declared"] == "host"
    assert result.evidence["namespaces.reference"].startswith(result.evidence[f"namespaces.{kind}.effective"])


@pytest.mark.parametrize("check_id", sorted(ROWS))
def test_hardened_container_passes(lab_snapshot, check_id):
    assert results_by_subject(check_id, lab_snapshot)["hardened"].status is Status.PASS


def test_pod_sharing_a_host_network_sandbox_fails(lab_snapshot):
    result = results_by_subject("container.host_network", lab_snapshot)["shop/risky/app"]
    assert result.status is Status.FAIL
    assert result.evidence["namespaces.network.declared"].startswith("path:/proc/")


def test_joined_namespace_of_a_stopped_container_is_unknown(lab_snapshot):
    snapshot = replace_container(lab_snapshot, "hardened-stopped",
                                 namespaces={"network": "container:other", "pid": "private", "ipc": "private",
                                             "uts": "private", "user": "default", "cgroup": "private"})
    result = results_by_subject("container.host_network", snapshot)["hardened-stopped"]
    assert result.status is Status.UNKNOWN


def test_host_userns_is_a_daemon_finding_unless_the_container_opts_out(lab_snapshot):
    results = results_by_subject("container.host_userns", lab_snapshot)
    assert results["hardened"].status is Status.NOT_APPLICABLE
    assert "userns_remap_disabled" in results["hardened"].evidence["runtime"]
    # the same rule for a CRI container: no user namespace in its spec is containerd's default, a host-level fact
    # (issue 12: every CRI container failed here, so no pod could ever be contained)
    assert results["shop/risky/app"].status is Status.NOT_APPLICABLE
    assert "hostUsers: false" in results["shop/risky/app"].evidence["runtime"]
    assert results["shop/risky/app"].evidence["namespaces.user.host"] is True
    daemon = dataclasses.replace(lab_snapshot.docker_daemon, userns_remap=True)
    remapped = replace_container(dataclasses.replace(lab_snapshot, docker_daemon=daemon), "hardened-stopped",
                                 namespaces={**lab_snapshot.containers[0].namespaces, "user": "host"})
    assert results_by_subject("container.host_userns", remapped)["hardened-stopped"].status is Status.FAIL


def test_unknown_when_docker_cannot_be_listed(lab_snapshot):
    assert_unknown_without_docker("container.host_pid", lab_snapshot)
