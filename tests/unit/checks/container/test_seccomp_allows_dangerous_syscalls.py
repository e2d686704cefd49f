"""Seccomp content: what a profile still lets through, never just whether a filter is on."""

import dataclasses
import json

from hostaudit.collectors.normalize import from_docker
from hostaudit.model import Status
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

CHECK = "container.seccomp_allows_dangerous_syscalls"
BLOCK = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1}
PTRACE_AND_MOUNT = {**BLOCK, "syscalls": [{"names": ["read", "write", "ptrace", "mount"], "action": "SCMP_ACT_ALLOW"}]}
STRICT = {**BLOCK, "syscalls": [{"names": ["read", "write", "exit_group", "futex", "nanosleep"],
                                 "action": "SCMP_ACT_ALLOW"}]}


def _with_containerd_profile(snapshot, name, profile):
    """A containerd container's spec profile replaced (its /proc view dropped, so the spec decides)."""
    key = next(c.key for c in snapshot.containerd.containers if c.name == name)
    containers = tuple(dataclasses.replace(c, seccomp="custom", seccomp_profile=profile) if c.key == key else c
                       for c in snapshot.containerd.containers)
    return dataclasses.replace(snapshot, containerd=dataclasses.replace(snapshot.containerd, containers=containers),
                               runtime={k: v for k, v in snapshot.runtime.items() if k != key})


def test_profile_allowing_ptrace_and_mount_fails_and_names_them(lab_snapshot):
    snapshot = _with_containerd_profile(lab_snapshot, "shop/locked/web", PTRACE_AND_MOUNT)
    result = results_by_subject(CHECK, snapshot)["shop/locked/web"]
    assert result.status is Status.FAIL
    assert {"ptrace", "mount"} <= set(result.evidence["seccomp.allows"])
    assert result.evidence["seccomp.beyond_runtime_default"] == ["mount"]


def test_allow_by_default_profile_is_as_bad_as_none(lab_snapshot):
    snapshot = _with_containerd_profile(lab_snapshot, "shop/locked/web", {
        "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["reboot"], "action": "SCMP_ACT_ERRNO"}]})
    result = results_by_subject(CHECK, snapshot)["shop/locked/web"]
    assert result.status is Status.FAIL
    assert result.evidence["seccomp.allow_by_default"] is True
    assert "unshare" in result.evidence["seccomp.allows"]


def test_profile_blocking_ptrace_and_execve_is_recognised_as_stricter(lab_snapshot):
    result = results_by_subject(CHECK, _with_containerd_profile(lab_snapshot, "shop/locked/web", STRICT))[
        "shop/locked/web"]
    assert result.status is Status.PASS
    assert {"ptrace", "execve"} <= set(result.evidence["seccomp.stricter_than_default"])
    assert result.evidence["seccomp.allows"] == []


def test_clone_with_the_namespace_mask_is_blocked_without_it_allowed(lab_snapshot):
    masked = {**BLOCK, "syscalls": [{"names": ["clone"], "action": "SCMP_ACT_ALLOW",
                                     "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}]}]}
    free = {**BLOCK, "syscalls": [{"names": ["clone"], "action": "SCMP_ACT_ALLOW",
                                   "args": [{"index": 0, "value": 17, "op": "SCMP_CMP_EQ"}]}]}
    ok = results_by_subject(CHECK, _with_containerd_profile(lab_snapshot, "shop/locked/web", masked))
    bad = results_by_subject(CHECK, _with_containerd_profile(lab_snapshot, "shop/locked/web", free))
    assert "clone" not in ok["shop/locked/web"].evidence["seccomp.allows"]
    assert bad["shop/locked/web"].evidence["seccomp.beyond_runtime_default"] == ["clone"]


def test_containerd_default_profile_passes_from_the_real_spec(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["shop/locked/web"]
    assert result.status is Status.PASS
    assert result.evidence["seccomp.profile"] == "from the container's spec"
    assert "mount" not in result.evidence["seccomp.allows"]


def test_docker_default_blocks_unless_a_capability_reopens(lab_snapshot):
    results = results_by_subject(CHECK, lab_snapshot)
    assert results["hardened"].status is Status.PASS
    assert results["hardened"].evidence["seccomp.profile"].startswith("Docker's default")
    assert results["sysadmin"].status is Status.FAIL
    assert {"mount", "unshare", "setns"} <= set(results["sysadmin"].evidence["seccomp.beyond_runtime_default"])


def test_no_filter_fails_and_points_at_seccomp_unconfined(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["shop/risky/app"]
    assert result.status is Status.FAIL
    assert result.evidence["seccomp.proc_mode"] == 0
    assert "seccomp_unconfined" in result.evidence["seccomp.profile"]


def test_docker_custom_profile_is_read_from_security_opt(lab_snapshot):
    profile = {**BLOCK, "syscalls": [
        {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["keyctl"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
        {"name": "userfaultfd", "action": "SCMP_ACT_ALLOW"}]}
    parsed = from_docker({"Name": "/x", "HostConfig": {"SecurityOpt": [f"seccomp={json.dumps(profile)}"]}})
    assert parsed.seccomp == "custom" and parsed.seccomp_profile == profile
    snapshot = replace_container(lab_snapshot, "hardened", seccomp="custom", seccomp_profile=profile)
    result = results_by_subject(CHECK, snapshot)["hardened"]
    assert result.status is Status.FAIL
    assert result.evidence["seccomp.allows"] == ["userfaultfd"]  # keyctl only with CAP_SYS_ADMIN, which it lacks


def test_custom_profile_without_content_is_unknown(lab_snapshot):
    snapshot = replace_container(lab_snapshot, "hardened", seccomp="custom", seccomp_profile=None)
    assert results_by_subject(CHECK, snapshot)["hardened"].status is Status.UNKNOWN


def test_unknown_when_docker_cannot_be_listed(lab_snapshot):
    assert_unknown_without_docker(CHECK, lab_snapshot)


def test_docker_default_replaced_by_the_daemon_is_judged_by_that_profile(lab_snapshot):
    """A container on Docker's default gets the daemon's `seccomp-profile` instead: unconfined lets everything
    through; a custom file's content is not collected, so unknown, never Docker's built-in verdict (a pass)."""
    from tests.unit.checks.daemon._variants import with_daemon

    assert results_by_subject(CHECK, lab_snapshot)["hardened-stopped"].status is Status.PASS
    unconfined = results_by_subject(CHECK, with_daemon(lab_snapshot, config={"seccomp-profile": "unconfined"}))
    assert unconfined["hardened-stopped"].status is Status.FAIL
    assert unconfined["hardened-stopped"].evidence["seccomp.daemon_profile"] == "unconfined"
    custom = results_by_subject(CHECK, with_daemon(lab_snapshot, config={"seccomp-profile": "/etc/docker/sc.json"}))
    assert custom["hardened-stopped"].status is Status.UNKNOWN
