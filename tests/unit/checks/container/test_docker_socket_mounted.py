from hostaudit.model import Mount, Status
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

CHECK = "container.docker_socket_mounted"


def test_socket_bind_mount_fails_with_its_source(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["sock"]
    assert result.status is Status.FAIL
    assert result.evidence["mount.destination"] == "/var/run/docker.sock"
    assert result.evidence["socket"] == result.evidence["mount.source"]


def test_a_parent_directory_mount_exposes_the_socket(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["run-dir"]
    assert result.status is Status.FAIL
    assert result.evidence["mount.source"] == "/run"
    var_mount = replace_container(lab_snapshot, "hardened", mounts=(Mount("/var", "/v", "bind", False),))
    assert results_by_subject(CHECK, var_mount)["hardened"].evidence["socket"] == "/var/run/docker.sock"


def test_containerd_socket_counts_too(lab_snapshot):
    mounts = (Mount("/run/containerd/containerd.sock", "/c.sock", "bind", True),)
    result = results_by_subject(CHECK, replace_container(lab_snapshot, "hardened", mounts=mounts))["hardened"]
    assert result.status is Status.FAIL


def test_similar_names_and_volumes_pass(lab_snapshot):
    mounts = (Mount("/run-data", "/data", "bind", True), Mount("docker.sock", "/x", "volume", True))
    result = results_by_subject(CHECK, replace_container(lab_snapshot, "hardened", mounts=mounts))["hardened"]
    assert result.status is Status.PASS
    assert results_by_subject(CHECK, lab_snapshot)["etc-ro"].status is Status.PASS


def test_unknown_when_docker_cannot_be_listed(lab_snapshot):
    assert_unknown_without_docker(CHECK, lab_snapshot)
