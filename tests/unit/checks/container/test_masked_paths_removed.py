from hostaudit.model import Status
from tests.unit.checks.container._proc import with_proc
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

CHECK = "container.masked_paths_removed"


def test_running_container_with_its_masks_in_mountinfo_passes(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["etc-ro"]
    assert result.status is Status.PASS
    assert "/proc/timer_list" in result.evidence["masked_paths.mountinfo"]


def test_created_privileged_container_fails_on_its_declaration(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["priv"]
    assert result.status is Status.FAIL
    assert result.evidence["masked_paths.declared"] is None


def test_mountinfo_without_masks_wins_over_the_declaration(lab_snapshot):
    key = "docker:etc-ro"
    unmasked = tuple(m for m in lab_snapshot.runtime[key].mounts if not m.mount_point.startswith(("/proc/", "/sys/")))
    result = results_by_subject(CHECK, with_proc(lab_snapshot, "etc-ro", mounts=unmasked))["etc-ro"]
    assert result.status is Status.FAIL
    assert result.evidence["masked_paths.mountinfo"] == []
    assert result.evidence["masked_paths.declared"]  # declared masked, yet not in force


def test_stopped_container_with_empty_masked_paths_fails(lab_snapshot):
    snapshot = replace_container(lab_snapshot, "hardened-stopped", masked_paths=())
    assert results_by_subject(CHECK, snapshot)["hardened-stopped"].status is Status.FAIL
    assert results_by_subject(CHECK, lab_snapshot)["hardened-stopped"].status is Status.PASS


def test_unknown_when_docker_cannot_be_listed(lab_snapshot):
    assert_unknown_without_docker(CHECK, lab_snapshot)
