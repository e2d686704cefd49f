import dataclasses

from hostaudit.model import Status
from tests.unit.checks.container._proc import add_mounts, mount
from tests.unit.conftest import (
    assert_unknown_without_docker,
    replace_container,
    results_by_subject,
    with_collector_error,
)

CHECK = "container.usermode_helper_writable"


def _core_pattern(snapshot, value):
    host = dataclasses.replace(snapshot.host, sysctls={**snapshot.host.sysctls, "kernel.core_pattern": value})
    return dataclasses.replace(snapshot, host=host)


def test_host_root_bind_reaches_core_pattern_and_uevent_helper(lab_snapshot):
    snapshot = _core_pattern(lab_snapshot, "|/usr/lib/systemd/systemd-coredump %P")
    result = results_by_subject(CHECK, snapshot)["host-root"]
    assert result.status is Status.FAIL
    assert result.evidence["helpers_writable"] == ["kernel.core_pattern", "kernel.modprobe", "uevent_helper"]
    assert result.evidence["host.core_pattern_pipes"] is True


def test_read_write_binfmt_misc_is_a_helper_too(lab_snapshot):
    snapshot = add_mounts(lab_snapshot, "etc-ro", mount("/proc/sys/fs/binfmt_misc", "binfmt_misc"))
    result = results_by_subject(CHECK, snapshot)["etc-ro"]
    assert result.status is Status.FAIL
    assert result.evidence["helpers_writable"] == ["binfmt_misc register"]


def test_default_container_passes(lab_snapshot):
    result = results_by_subject(CHECK, _core_pattern(lab_snapshot, "core"))["etc-ro"]
    assert result.status is Status.PASS
    assert result.evidence["helpers_writable"] == []
    assert result.evidence["host.core_pattern_pipes"] is False


def test_non_root_container_cannot_write_the_helpers(lab_snapshot):
    snapshot = replace_container(lab_snapshot, "hardened-stopped", readonly_paths=None)
    result = results_by_subject(CHECK, snapshot)["hardened-stopped"]
    assert result.status is Status.PASS
    assert result.evidence["helpers_writable"] == ["kernel.core_pattern", "kernel.modprobe"]
    assert result.evidence["user.declared"] == "1000:1000"


def test_unknown_without_host_facts_or_docker(lab_snapshot):
    results = results_by_subject(CHECK, with_collector_error(lab_snapshot, "host"))
    assert results["host"].status is Status.UNKNOWN
    assert_unknown_without_docker(CHECK, lab_snapshot)


def test_root_of_a_private_user_namespace_does_not_own_the_helpers(lab_snapshot):
    snapshot = _core_pattern(lab_snapshot, "|/usr/lib/systemd/systemd-coredump %P")
    proc = snapshot.runtime["docker:host-root"]
    private = dataclasses.replace(proc, namespaces={**proc.namespaces, "user": "user:[4026599999]"})
    snapshot = dataclasses.replace(snapshot, runtime={**snapshot.runtime, "docker:host-root": private})
    result = results_by_subject(CHECK, snapshot)["host-root"]
    assert result.status is Status.PASS
    assert result.evidence["helpers_writable"] == ["kernel.core_pattern", "kernel.modprobe", "uevent_helper"]
    assert result.evidence["namespaces.user.effective"] == "user:[4026599999]"
