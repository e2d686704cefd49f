import dataclasses

from hostaudit.model import Status
from tests.unit.checks.container._proc import add_mounts, mount
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

CHECK = "container.mount_propagation_shared"


def test_shared_peer_group_in_mountinfo_fails(lab_snapshot):
    snapshot = add_mounts(lab_snapshot, "etc-ro", mount("/data", "ext4", propagation=("shared:42",)))
    result = results_by_subject(CHECK, snapshot)["etc-ro"]
    assert result.status is Status.FAIL
    assert result.evidence["mounts.shared.mountinfo"] == ["/data"]


def test_declared_rshared_mount_of_a_stopped_container_fails(lab_snapshot):
    ctr = next(c for c in lab_snapshot.containers if c.name == "etc-ro")
    shared = (dataclasses.replace(ctr.mounts[0], propagation="rshared"),)
    result = results_by_subject(CHECK, replace_container(lab_snapshot, "etc-ro", mounts=shared))["etc-ro"]
    assert result.status is Status.FAIL
    assert result.evidence["mounts.shared.declared"] == ["/hostetc (rshared)"]


def test_private_mounts_pass(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["etc-ro"]
    assert result.status is Status.PASS
    assert result.evidence == {"mounts.shared.declared": [], "mounts.shared.mountinfo": []}


def test_unknown_when_docker_cannot_be_listed(lab_snapshot):
    assert_unknown_without_docker(CHECK, lab_snapshot)
