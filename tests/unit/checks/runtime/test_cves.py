"""runtime.cve_* rows: runc, crun, containerd, Docker Engine, BuildKit and NVIDIA toolkit versions against the CVE
data."""

from __future__ import annotations

import dataclasses

import pytest

from hostaudit.model import Status

from ...conftest import replace_container, with_collector_error
from ._variants import with_versions

AUTHZ = ("authz-broker",)
NVIDIA = "/usr/bin/nvidia-ctk"
CRUN = "/usr/bin/crun"
# one row per check: (how the version is set, the last vulnerable version, the first fixed one[, the "fixed" evidence
# where the record names the last affected release instead of the fix])
ROWS = {
    "runtime.cve_2019_5736": ("runc", "1.0.0-rc6", "1.0.0-rc7"),
    "runtime.cve_2019_16884": ("runc", "1.0.0-rc8", "1.0.0-rc9"),
    "runtime.cve_2021_30465": ("runc", "1.0.0-rc94", "1.0.0-rc95"),
    "runtime.cve_2023_27561": ("runc", "1.1.4", "1.1.5"),
    "runtime.cve_2024_21626": ("runc", "1.1.11", "1.1.12"),
    "runtime.cve_2025_31133": ("runc", "1.2.7", "1.2.8"),
    "runtime.cve_2025_52565": ("runc", "1.3.2", "1.3.3"),
    "runtime.cve_2025_52881": ("runc", "1.4.0-rc.2", "1.4.0-rc.3"),
    "runtime.cve_2020_15257": ("containerd", "1.4.2", "1.4.3"),
    "runtime.cve_2022_23648": ("containerd", "1.6.0", "1.6.1"),
    "runtime.cve_2024_40635": ("containerd", "1.7.26", "1.7.27"),
    "runtime.cve_2019_14271": ("docker", "19.03.0", "19.03.1"),
    "runtime.cve_2021_41091": ("docker", "20.10.8", "20.10.9"),
    "runtime.cve_2024_41110": ("docker", "25.0.5", "25.0.6", "after 25.0.5"),
    "runtime.cve_2026_34040": ("docker", "29.3.0", "29.3.1"),
    "runtime.cve_2024_23651": ("docker", "25.0.1", "25.0.2"),
    "runtime.cve_2024_23652": ("docker", "25.0.1", "25.0.2"),
    "runtime.cve_2024_23653": ("docker", "25.0.1", "25.0.2"),
    "runtime.cve_2024_0132": ("nvidia", "1.16.1", "1.16.2", "after 1.16.1"),
    "runtime.cve_2025_23359": ("nvidia", "1.17.3", "1.17.4", "after 1.17.3"),
    "runtime.cve_2019_19921": ("runc", "1.0.0-rc9", "1.0.0-rc10", "after 1.0.0-rc9"),
    "runtime.cve_2023_28642": ("runc", "1.1.4", "1.1.5"),
    "runtime.cve_2021_41103": ("containerd", "1.5.6", "1.5.7"),
    "runtime.cve_2021_32760": ("containerd", "1.5.3", "1.5.4", "after 1.5.3"),
    "runtime.cve_2024_25621": ("containerd", "2.1.4", "2.1.5"),
    "runtime.cve_2026_53488": ("containerd", "2.3.1", "2.3.2"),
    "runtime.cve_2025_47290": ("containerd", "2.1.0", "2.1.1", "after 2.1.0"),
    "runtime.cve_2026_53492": ("containerd", "2.2.4", "2.2.5"),
    "runtime.cve_2026_53489": ("containerd", "2.3.1", "2.3.2"),
    "runtime.cve_2024_0133": ("nvidia", "1.16.1", "1.16.2", "after 1.16.1"),
    "runtime.cve_2025_23267": ("nvidia", "1.17.7", "1.17.8", "after 1.17.7"),
    "runtime.cve_2025_23266": ("nvidia", "1.17.7", "1.17.8", "after 1.17.7"),
    "runtime.cve_2025_24965": ("crun", "1.19.1", "1.20"),
    "runtime.cve_2026_88264": ("crun", "1.29.1", "1.30", "after 1.29.1"),
    "runtime.cve_2026_88265": ("crun", "1.29.1", "1.30", "after 1.29.1"),
}
SUBJECT = {"runc": "host", "containerd": "host", "nvidia": "host", "crun": "host", "docker": "docker daemon"}


def variant(snapshot, how: str, version: str, **extra):
    if how == "nvidia":
        return with_versions(snapshot, docker="27.5.1", binaries={NVIDIA: version}, **extra)
    if how == "crun":
        return with_versions(snapshot, binaries={CRUN: version}, **extra)
    return with_versions(snapshot, **{how: version}, authz=AUTHZ, **extra)


def result_of(run_check, check_id, snapshot):
    how = ROWS[check_id][0] if check_id in ROWS else "runc"
    return run_check(check_id, snapshot)[SUBJECT[how]]


@pytest.mark.parametrize("check_id", sorted(ROWS))
def test_upstream_version_one_below_the_fix_fails(check_id, run_check, lab_snapshot):
    how, vulnerable, fixed, *named = ROWS[check_id]
    fixed = named[0] if named else fixed
    result = result_of(run_check, check_id, variant(lab_snapshot, how, vulnerable))
    assert result.status is Status.FAIL, result.evidence
    assert result.evidence["version"] == vulnerable and result.evidence["fixed"] == fixed
    assert result.evidence["build"] == "upstream"
    assert result.evidence["assessment"] == "vulnerable (upstream version in range)"
    assert "reachable_from_containers" in result.evidence and result.evidence["reachable_why"]


@pytest.mark.parametrize("check_id", sorted(ROWS))
def test_upstream_version_at_the_fix_passes(check_id, run_check, lab_snapshot):
    how, _, fixed, *named = ROWS[check_id]
    result = result_of(run_check, check_id, variant(lab_snapshot, how, fixed))
    assert result.status is Status.PASS
    assert result.evidence["version"] == fixed and result.evidence["fixed"] == (named[0] if named else fixed)


@pytest.mark.parametrize("check_id", sorted(ROWS))
def test_distro_build_below_the_fix_is_unknown(check_id, run_check, lab_snapshot):
    how, vulnerable, *_ = ROWS[check_id]
    result = result_of(run_check, check_id, variant(lab_snapshot, how, vulnerable + "+ds1"))
    assert result.status is Status.UNKNOWN
    assert result.evidence["build"] == "distro" and result.evidence["upstream_base"] == vulnerable
    assert result.evidence["assessment"] == "distro build: verify with the vendor advisory"


# CVE-2024-21626 (Leaky Vessels): 1.0.0-rc93 <= runc < 1.1.12
@pytest.mark.parametrize(("runc", "status", "fixed"), [
    ("1.0.0-rc92", Status.PASS, "1.1.12"),  # before the leak was introduced
    ("1.0.0-rc93", Status.FAIL, "1.1.12"),
    ("1.0.0-rc95", Status.FAIL, "1.1.12"),
    ("1.0.3", Status.FAIL, "1.1.12"),  # EOL 1.0 branch
    ("1.1.0", Status.FAIL, "1.1.12"),
    ("1.1.11", Status.FAIL, "1.1.12"),
    ("1.1.12", Status.PASS, "1.1.12"),
    ("1.2.0-rc.1", Status.PASS, "1.1.12"),
    ("1.2.0", Status.PASS, "1.1.12"),
])
def test_leaky_vessels_runc_boundaries(runc, status, fixed, run_check, lab_snapshot):
    result = run_check("runtime.cve_2024_21626", with_versions(lab_snapshot, runc=runc))["host"]
    assert result.status is status, result.evidence["range_decision"]
    assert result.evidence["fixed"] == fixed and result.evidence["version"] == runc


@pytest.mark.parametrize(("runc", "packages", "status"), [
    ("1.1.5+ds1", {"runc": "1.1.5+ds1-1+deb12u1"}, Status.UNKNOWN),  # Debian 12
    ("1.0.0~rc93+ds1", {"runc": "1.0.0~rc93+ds1-5+deb11u3"}, Status.UNKNOWN),  # Debian 11
    ("1.1.12+ds1", {"runc": "1.1.12+ds1-1"}, Status.PASS),  # its upstream base has the fix
    ("1.1.7", {"runc": "1.1.7-0ubuntu1~22.04.2"}, Status.UNKNOWN),  # plain version, Ubuntu's package says distro
    ("1.1.7", {"runc": "1.1.12-0ubuntu2"}, Status.FAIL),  # the package is another runc than the one reported
    ("1.1.7", {}, Status.FAIL),
])
def test_distro_runc_builds(runc, packages, status, run_check, lab_snapshot):
    result = run_check("runtime.cve_2024_21626", with_versions(lab_snapshot, runc=runc, packages=packages))["host"]
    assert result.status is status
    if status is Status.UNKNOWN:
        assert result.evidence["package"] == f"runc {packages['runc']}"


def test_the_worst_runc_on_the_host_decides(run_check, lab_snapshot):
    snapshot = with_versions(lab_snapshot, runc="1.1.12", binaries={"/usr/local/sbin/runc": "1.1.11"})
    result = run_check("runtime.cve_2024_21626", snapshot)["host"]
    assert result.status is Status.FAIL
    assert result.evidence["version_source"] == "/usr/local/sbin/runc --version"
    assert result.evidence["versions"] == {"docker /version Components runc": "1.1.12",
                                           "/usr/local/sbin/runc --version": "1.1.11"}


def test_runc_2025_fixes_on_an_eol_branch_point_to_the_nearest_release(run_check, lab_snapshot):
    result = run_check("runtime.cve_2025_31133", with_versions(lab_snapshot, runc="1.1.15"))["host"]
    assert result.status is Status.FAIL
    assert result.evidence["fixed"] == "1.2.8" and result.evidence["branch"] == "1.1"


def test_containerd_v_prefix_and_standalone_version(run_check, lab_snapshot):
    snapshot = with_versions(lab_snapshot, binaries={"/usr/bin/containerd": "v1.7.13"})
    result = run_check("runtime.cve_2024_40635", snapshot)["host"]
    assert result.status is Status.FAIL and result.evidence["fixed"] == "1.7.27"


def test_shim_socket_needs_a_host_network_root_container(run_check, lab_snapshot):
    result = run_check("runtime.cve_2020_15257", with_versions(lab_snapshot, containerd="1.4.2"))["host"]
    assert result.evidence["reachable_from_containers"] is True
    assert "host-net" in result.evidence["reachable_why"]


@pytest.mark.parametrize("check_id", ["runtime.cve_2024_41110", "runtime.cve_2026_34040"])
def test_authz_bypass_without_an_authorization_plugin_is_not_applicable(check_id, run_check, lab_snapshot):
    snapshot = with_versions(lab_snapshot, docker="24.0.7")
    result = run_check(check_id, snapshot)["docker daemon"]
    assert result.status is Status.NOT_APPLICABLE
    assert result.evidence["reachable_from_containers"] is False and result.evidence["version"] == "24.0.7"


def test_ubuntu_docker_io_is_a_distro_build(run_check, lab_snapshot):
    snapshot = with_versions(lab_snapshot, docker="24.0.7", authz=AUTHZ,
                             packages={"docker.io": "24.0.7-0ubuntu2~22.04.1"})
    result = run_check("runtime.cve_2024_41110", snapshot)["docker daemon"]
    assert result.status is Status.UNKNOWN and result.evidence["package"] == "docker.io 24.0.7-0ubuntu2~22.04.1"


def test_nvidia_rows_without_a_toolkit_are_not_applicable(run_check, lab_snapshot):
    result = run_check("runtime.cve_2024_0132", with_versions(lab_snapshot, docker="27.5.1"))["host"]
    assert result.status is Status.NOT_APPLICABLE and result.evidence["versions"] == {}


def test_runc_unknown_when_its_sources_failed(run_check, lab_snapshot):
    snapshot = with_collector_error(with_versions(lab_snapshot), "docker_daemon")
    result = run_check("runtime.cve_2024_21626", snapshot)["host"]
    assert result.status is Status.UNKNOWN and result.evidence["failed_collectors"] == ["docker_daemon"]


def test_docker_rows_when_the_daemon_collector_failed(run_check, lab_snapshot):
    unreadable = with_collector_error(with_versions(lab_snapshot), "docker_daemon")
    result = run_check("runtime.cve_2019_14271", unreadable)["docker daemon"]
    assert result.status is Status.UNKNOWN and result.evidence["failed_collectors"] == ["docker_daemon"]
    from_binary = with_collector_error(with_versions(lab_snapshot, binaries={"/usr/bin/dockerd": "19.03.0"}),
                                       "docker_daemon")
    result = run_check("runtime.cve_2019_14271", from_binary)["docker daemon"]
    assert result.status is Status.FAIL and result.evidence["version_source"] == "/usr/bin/dockerd --version"


def test_authz_reachability_unknown_when_the_api_is_unreachable(run_check, lab_snapshot):
    snapshot = with_versions(lab_snapshot, binaries={"/usr/bin/dockerd": "25.0.5"})
    snapshot = dataclasses.replace(snapshot, docker_daemon=dataclasses.replace(snapshot.docker_daemon, info=None))
    result = run_check("runtime.cve_2024_41110", snapshot)["docker daemon"]
    assert result.status is Status.FAIL and result.evidence["reachable_from_containers"] is None


def test_unparseable_version_is_unknown(run_check, lab_snapshot):
    result = run_check("runtime.cve_2024_21626", with_versions(lab_snapshot, runc="dev"))["host"]
    assert result.status is Status.UNKNOWN and result.evidence["version"] == "dev"


def test_recorded_lab_versions(run_check, lab_snapshot):
    """The lab's Debian 12 packages: runc 1.1.5+ds1 has the 2023 fix upstream; Leaky Vessels is the vendor's call."""
    assert run_check("runtime.cve_2023_27561", lab_snapshot)["host"].status is Status.PASS
    leaky = run_check("runtime.cve_2024_21626", lab_snapshot)["host"]
    assert leaky.status is Status.UNKNOWN and leaky.evidence["version"] == "1.1.5+ds1"


def test_toolkit_installed_by_the_gpu_operator_is_judged(run_check, lab_snapshot):
    snapshot = with_versions(lab_snapshot, docker="27.5.1",
                             binaries={"/usr/local/nvidia/toolkit/nvidia-container-runtime": "1.16.1"})
    result = result_of(run_check, "runtime.cve_2024_0132", snapshot)
    assert result.status is Status.FAIL
    assert result.evidence["version_source"] == "/usr/local/nvidia/toolkit/nvidia-container-runtime --version"


@pytest.mark.parametrize(("requests", "reachable"), [(("default:gpu",), True), (("nvidia:gpu,utility",), True),
                                                     ((), False)])
def test_gpus_flag_makes_the_toolkit_cves_reachable(requests, reachable, run_check, lab_snapshot):
    no_gpu = dataclasses.replace(lab_snapshot, containers=tuple(c for c in lab_snapshot.containers
                                                                 if c.name != "cc-gpu"))  # the lab's --gpus one
    snapshot = replace_container(variant(no_gpu, "nvidia", "1.17.7"), "etc-ro", device_requests=requests)
    result = result_of(run_check, "runtime.cve_2025_23266", snapshot)
    assert result.status is Status.FAIL and result.evidence["reachable_from_containers"] is reachable
    assert ("etc-ro" in result.evidence["reachable_why"]) is reachable


@pytest.mark.parametrize(("check_id", "how", "version"), [
    ("runtime.cve_2026_34040", "docker", "9999.0.0"), ("runtime.cve_2024_21626", "runc", "1000.1.1"),
    ("runtime.cve_2024_21626", "runc", "1." + "9" * 5000),
])
def test_implausible_versions_are_unknown_never_a_pass(check_id, how, version, run_check, lab_snapshot):
    result = result_of(run_check, check_id, variant(lab_snapshot, how, version))
    assert result.status is Status.UNKNOWN and result.evidence["upstream_base"] is None


def test_docker_release_candidate_of_the_introducing_release_is_affected(run_check, lab_snapshot):
    result = result_of(run_check, "runtime.cve_2019_14271", variant(lab_snapshot, "docker", "19.03.0-rc3"))
    assert result.status is Status.FAIL and result.evidence["fixed"] == "19.03.1"


DOCKER_CP_RACE = "runtime.cve_2018_15664"


# Docker CE release notes: fixed in 18.09.7 (moby/moby#39357) and 19.03.0 (moby/moby#39292); every earlier release
# is affected (oss-security 2019-05-28: "docker (all versions) is vulnerable"; the record: "through 18.06.1-ce-rc2")
@pytest.mark.parametrize(("docker", "status", "fixed"), [
    ("17.03.2", Status.FAIL, "18.09.7"), ("18.06.1", Status.FAIL, "18.09.7"), ("18.06.3", Status.FAIL, "18.09.7"),
    ("18.09.6", Status.FAIL, "18.09.7"), ("18.09.7", Status.PASS, "18.09.7"), ("19.03.0-rc2", Status.FAIL, "19.03.0"),
    ("19.03.0", Status.PASS, "19.03.0"), ("29.3.1", Status.PASS, "19.03.0")])
def test_docker_cp_race_follows_dockers_release_notes(docker, status, fixed, run_check, lab_snapshot):
    result = run_check(DOCKER_CP_RACE, with_versions(lab_snapshot, docker=docker))["docker daemon"]
    assert result.status is status and result.evidence["fixed"] == fixed


CR8ESCAPE = "runtime.cve_2022_0811"


def with_cri_runtime(snapshot, name: str, version: str):
    from hostaudit.model import CriFacts
    cri = CriFacts(endpoint="unix:///run/crio/crio.sock", endpoint_source="CRI-O default", runtime_name=name,
                   runtime_version=version, api_version="v1", containers=(), pods=())
    return dataclasses.replace(snapshot, cri=cri)


# GHSA-6x2m-w449-qwx7: introduced 1.19.0, fixed 1.19.6 / 1.20.7 / 1.21.6 / 1.22.3 / 1.23.2 (and 1.24.0)
@pytest.mark.parametrize(("version", "status"), [
    ("1.18.4", Status.PASS), ("1.19.5", Status.FAIL), ("1.19.6", Status.PASS), ("1.22.2", Status.FAIL),
    ("1.22.3", Status.PASS), ("1.23.1", Status.FAIL), ("1.23.2", Status.PASS), ("1.24.0", Status.PASS)])
def test_cr8escape_judged_by_the_cri_o_version_the_cri_api_reports(version, status, run_check, lab_snapshot):
    result = run_check(CR8ESCAPE, with_cri_runtime(lab_snapshot, "cri-o", version))["host"]
    assert result.status is status
    assert result.evidence["version_source"] == "CRI Version at unix:///run/crio/crio.sock"
    assert result.evidence["reachable_from_containers"] is False  # needs pod creation rights, not a container


def test_cr8escape_judged_by_the_crio_binary(run_check, lab_snapshot):
    snapshot = with_versions(lab_snapshot, binaries={"/usr/bin/crio": "1.21.5"})
    assert run_check(CR8ESCAPE, snapshot)["host"].status is Status.FAIL


def test_cr8escape_not_applicable_without_cri_o(run_check, lab_snapshot):
    snapshot = with_cri_runtime(lab_snapshot, "containerd", "1.6.20")
    assert run_check(CR8ESCAPE, snapshot)["host"].status is Status.NOT_APPLICABLE


BUILDKIT_MOUNT = "runtime.cve_2024_23652"
BUILDKITD = "/usr/bin/buildkitd"


def without_docker(snapshot):
    return dataclasses.replace(snapshot, docker_daemon=None,
                               collectors={k: v for k, v in snapshot.collectors.items() if k != "docker_daemon"})


# GHSA-4v98-7qmw-rqr8 / the CVE record: BuildKit < 0.12.5; the Engine's bundled BuildKit by the Engine mapping 25.0.2
@pytest.mark.parametrize(("buildkitd", "status"), [("v0.12.4", Status.FAIL), ("v0.12.5", Status.PASS),
                                                    ("v0.11.6", Status.FAIL), ("v0.13.0", Status.PASS)])
def test_standalone_buildkitd_is_judged_by_its_own_version(buildkitd, status, run_check, lab_snapshot):
    snapshot = without_docker(with_versions(lab_snapshot, binaries={BUILDKITD: buildkitd}))
    result = run_check(BUILDKIT_MOUNT, snapshot)["docker daemon"]
    assert result.status is status
    assert result.evidence["buildkit_version_basis"] == "BuildKit's own version (buildkitd --version)"
    assert result.evidence["fixed"] == "0.12.5"


def test_the_engines_bundled_buildkit_falls_back_to_the_engine_version(run_check, lab_snapshot):
    snapshot = with_versions(lab_snapshot, docker="25.0.1", binaries={BUILDKITD: "v0.12.5"})
    result = run_check(BUILDKIT_MOUNT, snapshot)["docker daemon"]
    assert result.status is Status.FAIL and result.evidence["fixed"] == "25.0.2"
    assert result.evidence["buildkit_version_basis"].startswith("Docker Engine version (fallback): Docker Engine "
                                                                "release notes (BuildKit 0.12.5 came with")
    assert result.evidence["versions"] == {"docker /version Components Engine": "25.0.1",
                                           f"{BUILDKITD} --version": "v0.12.5"}
    snapshot = with_versions(lab_snapshot, docker="25.0.2", binaries={BUILDKITD: "v0.12.4"})
    result = run_check(BUILDKIT_MOUNT, snapshot)["docker daemon"]
    assert result.status is Status.FAIL and result.evidence["buildkit_version_basis"].startswith("BuildKit's own")


def test_buildkit_rows_without_any_buildkit_are_not_applicable(run_check, lab_snapshot):
    snapshot = without_docker(with_versions(lab_snapshot))
    assert run_check(BUILDKIT_MOUNT, snapshot)["docker daemon"].status is Status.NOT_APPLICABLE


def test_docker_outdated_judges_the_engine_not_a_standalone_buildkitd(run_check, lab_snapshot):
    snapshot = with_versions(lab_snapshot, docker="29.3.1", binaries={BUILDKITD: "v0.12.4"})
    assert run_check("runtime.docker_outdated", snapshot)["docker daemon"].status is Status.PASS


# GHSA-2cgq-h8xw-2v5j: 0 to 1.27.6, 1.28.0 to 1.28.6, 1.29.0 to 1.29.4; GHSA-j9hf-98c3-wrm8: only 1.28.6, 1.29.4, 1.30.0
@pytest.mark.parametrize(("check_id", "version", "status"), [
    ("runtime.cve_2024_3154", "1.26.3", Status.FAIL), ("runtime.cve_2024_3154", "1.27.5", Status.FAIL),
    ("runtime.cve_2024_3154", "1.27.6", Status.PASS), ("runtime.cve_2024_3154", "1.29.3", Status.FAIL),
    ("runtime.cve_2024_3154", "1.29.4", Status.PASS), ("runtime.cve_2024_3154", "1.30.0", Status.PASS),
    ("runtime.cve_2024_5154", "1.28.5", Status.PASS), ("runtime.cve_2024_5154", "1.28.6", Status.FAIL),
    ("runtime.cve_2024_5154", "1.28.7", Status.PASS), ("runtime.cve_2024_5154", "1.29.3", Status.PASS),
    ("runtime.cve_2024_5154", "1.29.4", Status.FAIL), ("runtime.cve_2024_5154", "1.29.5", Status.PASS),
    ("runtime.cve_2024_5154", "1.30.0", Status.FAIL), ("runtime.cve_2024_5154", "1.30.1", Status.PASS)])
def test_cri_o_rows_follow_githubs_advisories(check_id, version, status, run_check, lab_snapshot):
    assert run_check(check_id, with_cri_runtime(lab_snapshot, "cri-o", version))["host"].status is status


def test_cri_o_image_bug_reaches_containers_from_any_image(run_check, lab_snapshot):
    result = run_check("runtime.cve_2024_5154", with_cri_runtime(lab_snapshot, "cri-o", "1.29.4"))["host"]
    assert result.evidence["reachable_from_containers"] is True
    assert result.evidence["range_decision"] == "branch 1.29 is fixed in 1.29.5"


def _with_task_mounts(snapshot, mounts):
    """The snapshot with the first containerd task's OCI spec holding `mounts`."""
    first, *rest = snapshot.containerd.containers
    tasks = (dataclasses.replace(first, mounts=mounts), *rest)
    return dataclasses.replace(snapshot, containerd=dataclasses.replace(snapshot.containerd, containers=tasks))


@pytest.mark.parametrize("check_id", ["runtime.cve_2026_88264", "runtime.cve_2026_88265"])
def test_crun_dev_symlink_bugs_reach_only_a_container_without_its_own_dev(check_id, run_check, lab_snapshot):
    lab = variant(lab_snapshot, "crun", "1.29.1")
    result = result_of(run_check, check_id, lab)
    assert result.status is Status.FAIL  # judged on the version; the precondition is evidence, as for runc
    assert result.evidence["reachable_from_containers"] is False  # Docker's fresh /dev; the tasks' specs mount one
    task = lab.containerd.containers[0]
    snapshot = _with_task_mounts(lab, tuple(m for m in task.mounts if m.destination != "/dev"))
    assert any(m.destination == "/dev" for m in task.mounts)  # the recorded spec mounts a tmpfs there
    result = result_of(run_check, check_id, snapshot)
    assert result.evidence["reachable_from_containers"] is True and task.name in result.evidence["reachable_why"]
    unread = _with_task_mounts(lab, ())
    assert result_of(run_check, check_id, unread).evidence["reachable_from_containers"] is None


def test_crun_krun_handler_bug_reaches_a_container_that_asks_for_krun(run_check, lab_snapshot):
    lab = variant(lab_snapshot, "crun", "1.19.1")
    assert result_of(run_check, "runtime.cve_2025_24965", lab).evidence["reachable_from_containers"] is False
    snapshot = replace_container(lab, "etc-ro", annotations={"run.oci.handler": "krun"})
    result = result_of(run_check, "runtime.cve_2025_24965", snapshot)
    assert result.status is Status.FAIL and result.evidence["reachable_from_containers"] is True
    assert "etc-ro" in result.evidence["reachable_why"]


def test_debian_crun_is_a_distro_build(run_check, lab_snapshot):
    """Debian 12's crun prints "crun version 1.8.1": only its package says it is Debian's (1.8.1-1+deb12u1)."""
    snapshot = with_versions(lab_snapshot, binaries={CRUN: "1.8.1"}, packages={"crun": "1.8.1-1+deb12u1"})
    result = result_of(run_check, "runtime.cve_2026_88264", snapshot)
    assert result.status is Status.UNKNOWN and result.evidence["package"] == "crun 1.8.1-1+deb12u1"
    assert result_of(run_check, "runtime.cve_2026_88264", with_versions(lab_snapshot, binaries={CRUN: "1.8.1"})
                     ).status is Status.FAIL


def test_crun_without_a_version_read_is_judged_by_its_package_else_unknown(run_check, lab_snapshot):
    """crun is never run (it writes a copy of itself to /tmp on every start): its Debian package is its build."""
    packaged = result_of(run_check, "runtime.cve_2026_88264",
                         with_versions(lab_snapshot, packages={"crun": "1.8.1-1+deb12u1"}))
    assert packaged.status is Status.UNKNOWN and packaged.evidence["version_source"] == "crun package"
    assert packaged.evidence["upstream_base"] == "1.8.1" and packaged.evidence["build"] == "distro"
    fixed = result_of(run_check, "runtime.cve_2026_88264", with_versions(lab_snapshot, packages={"crun": "1.30-1"}))
    assert fixed.status is Status.PASS  # its upstream base is past the last affected release
    bare = with_versions(lab_snapshot)
    bare = dataclasses.replace(bare, host=dataclasses.replace(bare.host,
                                                              runtime_binaries_not_run=("/usr/local/bin/crun",)))
    unread = result_of(run_check, "runtime.cve_2026_88264", bare)
    assert unread.status is Status.UNKNOWN and unread.evidence["version"] == "not read"
    assert result_of(run_check, "runtime.cve_2026_88264", with_versions(lab_snapshot)).status is Status.NOT_APPLICABLE
