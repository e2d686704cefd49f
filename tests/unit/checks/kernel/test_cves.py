"""kernel.cve_* rows: upstream kernels judged by version per stable branch, distro kernels never a false FAIL."""

from __future__ import annotations

import dataclasses

import pytest

from hostaudit.model import KernelModules, Status

from ...conftest import replace_container, with_collector_error
from .._node import with_main

# one row per check: (a vulnerable upstream release, its branch, the first fixed release of that branch)
ROWS = {
    "kernel.cve_2016_5195": ("4.8.2", "4.8", "4.8.3"),
    "kernel.cve_2022_0847": ("5.16.10", "5.16", "5.16.11"),
    "kernel.cve_2022_0185": ("5.15.15", "5.15", "5.15.16"),
    "kernel.cve_2022_0492": ("5.4.176", "5.4", "5.4.177"),
    "kernel.cve_2021_22555": ("5.10.30", "5.10", "5.10.31"),
    "kernel.cve_2022_2588": ("5.15.60", "5.15", "5.15.61"),
    "kernel.cve_2023_0386": ("6.1.8", "6.1", "6.1.9"),
    "kernel.cve_2023_32233": ("6.1.27", "6.1", "6.1.28"),
    "kernel.cve_2024_1086": ("6.1.75", "6.1", "6.1.76"),
    "kernel.cve_2020_14386": ("5.4.63", "5.4", "5.4.64"),
    "kernel.cve_2022_0995": ("5.10.105", "5.10", "5.10.106"),
    "kernel.cve_2022_25636": ("5.4.181", "5.4", "5.4.182"),
    "kernel.cve_2021_4154": ("5.10.51", "5.10", "5.10.52"),
    "kernel.cve_2022_2586": ("4.19.255", "4.19", "4.19.256"),
    "kernel.cve_2022_32250": ("4.9.317", "4.9", "4.9.318"),
    "kernel.cve_2023_3269": ("6.1.36", "6.1", "6.1.37"),
    "kernel.cve_2026_31431": ("6.18.21", "6.18", "6.18.22"),
    "kernel.cve_2026_43284": ("6.12.86", "6.12", "6.12.87"),
    "kernel.cve_2026_43500": ("7.0.5", "7.0", "7.0.6"),
    "kernel.cve_2026_46300": ("7.0.9", "7.0", "7.0.10"),
    "kernel.cve_2026_43503": ("6.18.32", "6.18", "6.18.33"),
    "kernel.cve_2021_22600": ("5.10.87", "5.10", "5.10.88"),
    "kernel.cve_2024_50264": ("6.6.60", "6.6", "6.6.61"),
    "kernel.cve_2025_21756": ("6.12.15", "6.12", "6.12.16"),
}
DIRTY_NFT = "kernel.cve_2024_1086"
UNKNOWN_BUILD = "distro kernel: verify with the vendor advisory"


def with_kernel(snapshot, release: str, version: str = "#1 SMP PREEMPT_DYNAMIC", signature: str | None = None,
                **host_changes):
    host = dataclasses.replace(snapshot.host, kernel_release=release, kernel_version=version,
                               version_signature=signature, **host_changes)
    return dataclasses.replace(snapshot, host=host)


def host_result(run_check, check_id, snapshot):
    return run_check(check_id, snapshot)["host"]


@pytest.mark.parametrize("check_id", sorted(ROWS))
def test_upstream_kernel_one_below_the_branch_fix_fails(check_id, run_check, lab_snapshot):
    vulnerable, branch, fixed = ROWS[check_id]
    result = host_result(run_check, check_id, with_kernel(lab_snapshot, vulnerable))
    assert result.status is Status.FAIL
    assert result.evidence["version"] == vulnerable
    assert result.evidence["branch"] == branch and result.evidence["fixed"] == fixed
    assert result.evidence["assessment"] == "vulnerable (upstream version in range)"
    assert result.evidence["reachable_from_containers"] in (True, False, None)
    assert result.evidence["reachable_why"]


@pytest.mark.parametrize("check_id", sorted(ROWS))
def test_upstream_kernel_at_the_branch_fix_passes(check_id, run_check, lab_snapshot):
    _, branch, fixed = ROWS[check_id]
    result = host_result(run_check, check_id, with_kernel(lab_snapshot, fixed))
    assert result.status is Status.PASS
    assert (result.evidence["version"], result.evidence["branch"], result.evidence["fixed"]) == (fixed, branch, fixed)


@pytest.mark.parametrize("check_id", sorted(ROWS))
def test_ubuntu_kernel_with_a_vulnerable_base_is_unknown_never_fail(check_id, run_check, lab_snapshot):
    vulnerable, _, _ = ROWS[check_id]
    major_minor = ".".join(vulnerable.split(".")[:2])
    snapshot = with_kernel(lab_snapshot, f"{major_minor}.0-91-generic", "#101-Ubuntu SMP",
                           f"Ubuntu {major_minor}.0-91.101-generic {vulnerable}")
    result = host_result(run_check, check_id, snapshot)
    assert result.status is Status.UNKNOWN
    assert result.evidence["assessment"] == UNKNOWN_BUILD
    assert result.evidence["upstream_base"] == vulnerable


@pytest.mark.parametrize("check_id", sorted(ROWS))
def test_without_host_facts_the_answer_is_unknown(check_id, run_check, lab_snapshot):
    result = host_result(run_check, check_id, with_collector_error(lab_snapshot, "host"))
    assert result.status is Status.UNKNOWN
    assert result.evidence == {"collector.host": "simulated failure"}


# CVE-2024-1086: introduced 3.15, mainline fix 6.8 (Google's CVE record); stable fixes 6.7.3 6.6.15 6.1.76 5.15.149
# 5.10.210 5.4.269 4.19.307 (the older dataset: the record lists none)
@pytest.mark.parametrize(("release", "status", "fixed"), [
    ("6.1.76", Status.PASS, "6.1.76"),  # exactly fixed
    ("6.1.75", Status.FAIL, "6.1.76"),  # one below
    ("6.1.0", Status.FAIL, "6.1.76"),
    ("5.15.148", Status.FAIL, "5.15.149"),
    ("4.19.306", Status.FAIL, "4.19.307"),
    ("6.2.16", Status.FAIL, "6.6.15"),  # EOL branch that never got the fix: the nearest fixed release
    ("4.14.336", Status.FAIL, "4.19.307"),  # EOL branch older than every listed branch
    ("6.8.0-rc1", Status.FAIL, "6.8"),  # mainline release candidate before the fix
    ("6.8.0-rc7", Status.FAIL, "6.8"),  # the record names the release, not the release candidate
    ("6.8.0", Status.PASS, "6.8"),
    ("6.9.1", Status.PASS, "6.8"),  # a branch newer than every listed branch
    ("3.15-rc2", Status.FAIL, "4.19.307"),  # a pre-release of the introducing release carries the bug
    ("3.14.79", Status.PASS, "6.8"),  # older than the introducing release
])
def test_dirty_nft_upstream_boundaries(release, status, fixed, run_check, lab_snapshot):
    result = host_result(run_check, DIRTY_NFT, with_kernel(lab_snapshot, release))
    assert result.status is status, result.evidence["range_decision"]
    assert result.evidence["fixed"] == fixed
    assert result.evidence["kernel.release"] == release and result.evidence["kernel_build"] == "upstream"


@pytest.mark.parametrize(("release", "version", "status", "base"), [
    ("6.1.0-17-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.69-1 (2023-12-30)", Status.FAIL, "6.1.69"),
    ("6.1.0-18-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)", Status.PASS, "6.1.76"),
    ("5.10.0-28-cloud-amd64", "#1 SMP Debian 5.10.209-2 (2024-01-31)", Status.FAIL, "5.10.209"),
    ("6.1.0-15-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.66-1~bpo11+1 (2023-12-09)", Status.FAIL, "6.1.66"),
])
def test_debian_kernels_are_judged_by_their_package_version(release, version, status, base, run_check,
                                                            lab_snapshot):
    result = host_result(run_check, DIRTY_NFT, with_kernel(lab_snapshot, release, version))
    assert result.status is status
    assert result.evidence["upstream_base"] == base and result.evidence["kernel_build"] == "debian"
    assert result.evidence["version_source"].startswith("uname -v")


@pytest.mark.parametrize(("release", "signature", "status", "vendor", "base"), [
    ("5.15.0-91-generic", "Ubuntu 5.15.0-91.101-generic 5.15.131", Status.UNKNOWN, "ubuntu", "5.15.131"),
    ("5.15.0-101-generic", "Ubuntu 5.15.0-101.111-generic 5.15.149", Status.PASS, "ubuntu", "5.15.149"),
    ("5.15.0-91-generic", None, Status.UNKNOWN, "ubuntu", "5.15.0"),
    ("4.18.0-513.el8.x86_64", None, Status.UNKNOWN, "rhel", "4.18.0"),
    ("5.14.0-362.8.1.el9_3.x86_64", None, Status.UNKNOWN, "rhel", "5.14.0"),
    ("5.14.21-150500.55.39-default", None, Status.UNKNOWN, "suse", "5.14.21"),
    ("5.10.209-198.858.amzn2.x86_64", None, Status.UNKNOWN, "amazon", "5.10.209"),
    ("5.10.210-201.852.amzn2.x86_64", None, Status.PASS, "amazon", "5.10.210"),  # its base has the fix
    ("6.7.2-200.fc39.x86_64", None, Status.UNKNOWN, "fedora", "6.7.2"),
    ("6.1.0-18-amd64", None, Status.UNKNOWN, "debian", "6.1.0"),  # Debian ABI name, no package version seen
])
def test_distro_kernels_pass_only_when_their_base_has_the_fix(release, signature, status, vendor, base, run_check,
                                                              lab_snapshot):
    result = host_result(run_check, DIRTY_NFT, with_kernel(lab_snapshot, release, signature=signature))
    assert result.status is status
    assert result.evidence["kernel_build"] == vendor and result.evidence["upstream_base"] == base
    if status is Status.UNKNOWN:
        assert result.evidence["assessment"] == UNKNOWN_BUILD and release in result.detail


# kernels whose uname -r has a suffix no rule knows: vendor builds that may carry backports, or lack fixes their base
# has; one below a fix (upstream rules: fail) is unknown, one whose base has the fix passes
@pytest.mark.parametrize(("release", "version", "status", "base"), [
    ("6.1.75+", "#1 SMP PREEMPT_DYNAMIC", Status.UNKNOWN, "6.1.75"),  # Container-Optimized OS
    ("6.1.100+", "#1 SMP PREEMPT_DYNAMIC", Status.PASS, "6.1.100"),
    ("6.6.14-talos", "#1 SMP", Status.UNKNOWN, "6.6.14"),
    ("6.6.15-talos", "#1 SMP", Status.PASS, "6.6.15"),
    ("5.15.146.1-microsoft-standard-WSL2", "#1 SMP Thu Jan 11 04:09:03 UTC 2024", Status.UNKNOWN, "5.15.146.1"),
    ("6.7.2-arch1-1", "#1 SMP PREEMPT_DYNAMIC", Status.UNKNOWN, "6.7.2"),
    ("6.7.3-arch1-1", "#1 SMP PREEMPT_DYNAMIC", Status.PASS, "6.7.3"),
    ("6.1.0-rpi7-rpi-v8", "#1 SMP PREEMPT", Status.UNKNOWN, "6.1.0"),  # Raspberry Pi, no Debian package version
    ("5.15.148-custom", "#1 SMP", Status.UNKNOWN, "5.15.148"),
    ("5.15.149-custom", "#1 SMP", Status.PASS, "5.15.149"),
    ("6.18.44-fc-v657", "#1 SMP", Status.PASS, "6.18.44"),  # this machine's build
])
def test_kernels_with_an_unknown_suffix_pass_only_when_their_base_has_the_fix(release, version, status, base,
                                                                              run_check, lab_snapshot):
    result = host_result(run_check, DIRTY_NFT, with_kernel(lab_snapshot, release, version))
    assert result.status is status, result.evidence
    assert result.evidence["kernel_build"] == "vendor" and result.evidence["upstream_base"] == base


def test_raspberry_pi_kernel_is_judged_by_its_debian_package_version(run_check, lab_snapshot):
    snapshot = with_kernel(lab_snapshot, "6.1.0-rpi7-rpi-v8", "#1 SMP PREEMPT Debian 1:6.1.63-1+rpt1 (2023-11-24)")
    result = host_result(run_check, DIRTY_NFT, snapshot)
    assert result.status is Status.FAIL  # 6.1.63 is below 6.1.76, and the package version tracks upstream stable
    assert result.evidence["kernel_build"] == "debian" and result.evidence["upstream_base"] == "6.1.63"


COPY_FAIL = "kernel.cve_2026_31431"  # fixed in 6.1.170, 6.6.137, 6.12.85; CVE-2024-1086: 6.1.76, 6.6.15, 5.15.149


# Real `uname -r` / `uname -v` pairs, each quoted from a public file the project's search index holds (index id given;
# the quoted line is the file's own `uname -a` or node status): vendor builds pass only when their upstream base has
# the fix and are unknown otherwise; Debian-derived kernels (Raspberry Pi OS, Kali) are judged by the package version
# their `uname -v` carries, which tracks upstream stable.
@pytest.mark.parametrize(("check_id", "release", "version", "status", "build", "base"), [
    # GKE node status, "osImage: Container-Optimized OS from Google ... kernelVersion: 6.1.100+" (no uname -v quoted)
    (DIRTY_NFT, "6.1.100+", "", Status.PASS, "vendor", "6.1.100"),
    (COPY_FAIL, "6.1.100+", "", Status.UNKNOWN, "vendor", "6.1.100"),
    # a CTF write-up's ssh banner, "Linux ssh-key-fuckery-deployment-... 6.12.62-talos #1 SMP Mon Dec 15 12:22:39 UTC
    # 2025 x86_64" (index id 52657682090)
    (DIRTY_NFT, "6.12.62-talos", "#1 SMP Mon Dec 15 12:22:39 UTC 2025", Status.PASS, "vendor", "6.12.62"),
    (COPY_FAIL, "6.12.62-talos", "#1 SMP Mon Dec 15 12:22:39 UTC 2025", Status.UNKNOWN, "vendor", "6.12.62"),
    # a WSL2 setup script's header, "Linux DESKTOP-IV7J3DK 5.15.90.1-microsoft-standard-WSL2 #1 SMP Fri Jan 27
    # 02:56:13 UTC 2023 x86_64" (index id 31660714868)
    (DIRTY_NFT, "5.15.90.1-microsoft-standard-WSL2", "#1 SMP Fri Jan 27 02:56:13 UTC 2023", Status.UNKNOWN, "vendor",
     "5.15.90.1"),
    # "Linux 821fbd6a43fa 6.6.87.2-microsoft-standard-WSL2 #1 SMP PREEMPT_DYNAMIC Thu Jun  5 18:30:46 UTC 2025"
    # (index id 53484979073)
    (DIRTY_NFT, "6.6.87.2-microsoft-standard-WSL2", "#1 SMP PREEMPT_DYNAMIC Thu Jun  5 18:30:46 UTC 2025",
     Status.PASS, "vendor", "6.6.87.2"),
    # a linux-fsdevel report, "Linux tachyon 6.6.1-arch1-1 #1 SMP PREEMPT_DYNAMIC Wed, 08 Nov 2023 16:05:38 +0000"
    # (index id 37838185847)
    (DIRTY_NFT, "6.6.1-arch1-1", "#1 SMP PREEMPT_DYNAMIC Wed, 08 Nov 2023 16:05:38 +0000", Status.UNKNOWN, "vendor",
     "6.6.1"),
    # Raspberry Pi OS: "Linux raspberrypi 6.1.0-rpi4-rpi-v8 #1 SMP PREEMPT Debian 1:6.1.54-1+rpt2 (2023-10-05)
    # aarch64" (index id 5690003948, and many more): the package version 6.1.54 decides
    (DIRTY_NFT, "6.1.0-rpi4-rpi-v8", "#1 SMP PREEMPT Debian 1:6.1.54-1+rpt2 (2023-10-05)", Status.FAIL, "debian",
     "6.1.54"),
    # the same release where no uname -v was recorded: a vendor kernel, never judged as upstream 6.1.0
    (DIRTY_NFT, "6.1.0-rpi4-rpi-v8", "", Status.UNKNOWN, "vendor", "6.1.0"),
    # Raspberry Pi OS's newer naming: "uname -r 6.6.20+rpt-rpi-v8", /proc/version "#1 SMP PREEMPT Debian
    # 1:6.6.20-1+rpt1 (2024-03-07)" (a system notes page in the code index)
    (DIRTY_NFT, "6.6.20+rpt-rpi-v8", "#1 SMP PREEMPT Debian 1:6.6.20-1+rpt1 (2024-03-07)", Status.PASS, "debian",
     "6.6.20"),
    (COPY_FAIL, "6.6.20+rpt-rpi-v8", "#1 SMP PREEMPT Debian 1:6.6.20-1+rpt1 (2024-03-07)", Status.FAIL, "debian",
     "6.6.20"),
    (DIRTY_NFT, "6.6.20+rpt-rpi-v8", "", Status.PASS, "vendor", "6.6.20"),
    # the Raspberry Pi Foundation's own pre-Debian build: "Linux raspberrypi 6.1.21-v8+ #1642 SMP PREEMPT Mon Apr 3
    # 17:24:16 BST 2023 aarch64" (index id 45355357994)
    (DIRTY_NFT, "6.1.21-v8+", "#1642 SMP PREEMPT Mon Apr 3 17:24:16 BST 2023", Status.UNKNOWN, "vendor", "6.1.21"),
    # Kali, Debian-derived: tnear/linux uname.md, "Linux kali 6.1.0-kali7-amd64 #1 SMP PREEMPT_DYNAMIC Debian
    # 6.1.20-1kali1 (2023-03-22)"
    (DIRTY_NFT, "6.1.0-kali7-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.20-1kali1 (2023-03-22)", Status.FAIL, "debian",
     "6.1.20"),
    # newer Kali names itself: mylovemyon/memo tools/ssh.md, "Running on Linux 6.12.33+kali-amd64 #1 SMP
    # PREEMPT_DYNAMIC Kali 6.12.33-1kali1 (2025-06-25)": its package version 6.12.33 decides
    (COPY_FAIL, "6.12.33+kali-amd64", "#1 SMP PREEMPT_DYNAMIC Kali 6.12.33-1kali1 (2025-06-25)", Status.FAIL, "kali",
     "6.12.33"),
    (DIRTY_NFT, "6.12.33+kali-amd64", "#1 SMP PREEMPT_DYNAMIC Kali 6.12.33-1kali1 (2025-06-25)", Status.PASS, "kali",
     "6.12.33"),
])
def test_real_vendor_and_debian_derived_kernels(check_id, release, version, status, build, base, run_check,
                                                lab_snapshot):
    result = host_result(run_check, check_id, with_kernel(lab_snapshot, release, version))
    assert result.status is status, result.evidence
    assert result.evidence["kernel_build"] == build and result.evidence["upstream_base"] == base


def test_release_without_a_version_is_unknown(run_check, lab_snapshot):
    result = host_result(run_check, DIRTY_NFT, with_kernel(lab_snapshot, "weird-kernel"))
    assert result.status is Status.UNKNOWN
    assert result.evidence["upstream_base"] is None and result.evidence["kernel.release"] == "weird-kernel"


def test_net_admin_precondition_is_reachable_through_the_privileged_container(run_check, lab_snapshot):
    result = host_result(run_check, DIRTY_NFT, with_kernel(lab_snapshot, "6.1.75"))
    assert result.evidence["reachable_from_containers"] is True
    assert "CAP_NET_ADMIN held by priv" in result.evidence["reachable_why"]


@pytest.mark.parametrize(("max_userns", "reachable"), [("0", False), ("15000", True), (None, None)])
def test_net_admin_through_a_user_namespace_depends_on_the_sysctls(max_userns, reachable, run_check, lab_snapshot):
    snapshot = replace_container(lab_snapshot, "priv", privileged=False)
    sysctls = {**snapshot.host.sysctls, "user.max_user_namespaces": max_userns}
    result = host_result(run_check, DIRTY_NFT, with_kernel(snapshot, "6.1.75", sysctls=sysctls))
    assert result.evidence["reachable_from_containers"] is reachable
    assert "no-seccomp" in result.evidence["reachable_why"] or reachable is False
    if reachable is False:  # no container meets the precondition: the path is closed on this host
        assert result.status is Status.PASS and result.evidence["assessment"] == "vulnerable version, exploit path " \
                                                                                 "closed on this host"
        assert "user.max_user_namespaces=0" in result.evidence["mitigated_by"][0]
        assert result.detail.startswith("vulnerable kernel (6.1.75), mitigated on this host by")
    else:
        assert result.status is Status.FAIL and "mitigated_by" not in result.evidence


def test_cgroup_v1_precondition_is_not_reachable_on_cgroup_v2(run_check, lab_snapshot):
    on_v1 = host_result(run_check, "kernel.cve_2022_0492", with_kernel(lab_snapshot, "5.4.176"))
    assert on_v1.evidence["reachable_from_containers"] is True
    snapshot = with_kernel(lab_snapshot, "5.4.176", cgroup_v2_unified=True, cgroup_v1_controllers=())
    on_v2 = host_result(run_check, "kernel.cve_2022_0492", snapshot)
    assert on_v2.status is Status.PASS  # vulnerable version, but the release_agent path needs cgroup v1
    assert on_v2.evidence["reachable_from_containers"] is False
    assert on_v2.evidence["mitigated_by"] == ["cgroup v1 is not mounted"]


def test_reachability_is_unknown_without_container_facts(run_check, lab_snapshot):
    snapshot = with_collector_error(with_kernel(lab_snapshot, "5.16.10"), "containers")
    result = host_result(run_check, "kernel.cve_2022_0847", snapshot)
    assert result.status is Status.FAIL
    assert result.evidence["reachable_from_containers"] is None


# Copy Fail (CVE-2026-31431) on the recorded lab snapshot, changed only in its kernel version (and where named, in
# the module facts the collector reads or in the containers' seccomp profiles)
COPY_FAIL = "kernel.cve_2026_31431"
DENY_AF_ALG = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 38, "op": "SCMP_CMP_EQ"}]}]}


def modules(loaded=("overlay",), builtin=(), available=("algif_aead", "af_alg", "esp4"), blocked=None):
    return KernelModules(loaded=loaded, builtin=builtin, available=available, blocked=blocked or {})


def test_copy_fail_on_6_18_21_is_present_and_names_the_containers_that_reach_it(run_check, lab_snapshot):
    result = host_result(run_check, COPY_FAIL, with_kernel(lab_snapshot, "6.18.21", kernel_modules=None))
    assert result.status is Status.FAIL
    assert (result.evidence["branch"], result.evidence["fixed"]) == ("6.18", "6.18.22")
    assert result.evidence["reachable_from_containers"] is True
    # AF_ALG: no default profile denies it, so every workload container of the lab reaches it
    workloads = sorted(c.name for c in lab_snapshot.all_containers if not c.is_sandbox)
    assert len(workloads) > 20 and result.evidence["reachable_containers"] == workloads
    assert result.detail == f"vulnerable kernel (6.18.21); reachable from containers {', '.join(workloads)}"
    assert result.evidence["exploit_path_open"] == ["kernel module facts were not collected"]
    assert result.evidence["advisory_cvss"]["score"] == 7.8


def test_copy_fail_on_6_18_22_is_fixed(run_check, lab_snapshot):
    result = host_result(run_check, COPY_FAIL, with_kernel(lab_snapshot, "6.18.22"))
    assert result.status is Status.PASS and result.evidence["assessment"] == "fixed"
    assert "mitigated_by" not in result.evidence


def test_copy_fail_module_blocked_and_not_loaded_is_mitigated(run_check, lab_snapshot):
    blocked = {"algif_aead": "install /bin/false (/etc/modprobe.d/copy-fail.conf:1)"}
    result = host_result(run_check, COPY_FAIL, with_kernel(lab_snapshot, "6.18.21",
                                                           kernel_modules=modules(blocked=blocked)))
    assert result.status is Status.PASS
    assert result.evidence["assessment"] == "vulnerable version, exploit path closed on this host"
    assert result.evidence["version_assessment"] == "vulnerable (upstream version in range)"
    assert result.evidence["mitigated_by"] == ["algif_aead blocked by install /bin/false "
                                               "(/etc/modprobe.d/copy-fail.conf:1), not loaded, not built in"]
    assert result.detail.startswith("vulnerable kernel (6.18.21), mitigated on this host by: algif_aead blocked")


def test_copy_fail_module_not_built_is_mitigated(run_check, lab_snapshot):
    result = host_result(run_check, COPY_FAIL, with_kernel(lab_snapshot, "6.18.21",
                                                           kernel_modules=modules(available=("overlay",))))
    assert result.status is Status.PASS
    assert result.evidence["mitigated_by"] == ["algif_aead is not built for this kernel"]


@pytest.mark.parametrize(("facts", "open_reason"), [
    (modules(loaded=("algif_aead",), blocked={"algif_aead": "blacklist (/etc/modprobe.d/x.conf:2)"}),
     "algif_aead is loaded"),  # blocking a loaded module closes nothing
    (modules(builtin=("algif_aead",), blocked={"algif_aead": "blacklist (/etc/modprobe.d/x.conf:2)"}),
     "algif_aead is built into the kernel"),
    (modules(), "algif_aead loads on demand"),
    (modules(builtin=None, blocked={"algif_aead": "blacklist (/etc/modprobe.d/x.conf:2)"}),
     "whether algif_aead is built into the kernel is unknown (no modules.builtin)"),
    (modules(loaded=None), "loaded modules unreadable"),
])
def test_copy_fail_module_path_open_or_unknown_stays_a_failure(facts, open_reason, run_check, lab_snapshot):
    result = host_result(run_check, COPY_FAIL, with_kernel(lab_snapshot, "6.18.21", kernel_modules=facts))
    assert result.status is Status.FAIL
    assert result.evidence["exploit_path_open"] == [open_reason] and "mitigated_by" not in result.evidence


def _every_container_denies_af_alg(snapshot):
    containers = tuple(dataclasses.replace(c, seccomp="custom", seccomp_profile=DENY_AF_ALG)
                       for c in snapshot.containers)
    containerd = dataclasses.replace(snapshot.containerd, containers=tuple(
        dataclasses.replace(c, seccomp="custom", seccomp_profile=DENY_AF_ALG) for c in snapshot.containerd.containers))
    return dataclasses.replace(snapshot, containers=containers, containerd=containerd, runtime={})


def test_copy_fail_with_af_alg_denied_in_every_container_is_mitigated(run_check, lab_snapshot):
    snapshot = _every_container_denies_af_alg(with_kernel(lab_snapshot, "6.18.21"))
    result = host_result(run_check, COPY_FAIL, snapshot)
    assert result.status is Status.PASS
    assert result.evidence["mitigated_by"] == ["seccomp denies AF_ALG in every container"]
    assert result.evidence["reachable_from_containers"] is False and result.evidence["reachable_containers"] == []


def test_copy_fail_reachable_from_the_one_container_whose_seccomp_allows_af_alg(run_check, lab_snapshot):
    snapshot = _every_container_denies_af_alg(with_kernel(lab_snapshot, "6.18.21"))
    snapshot = replace_container(snapshot, "no-seccomp", seccomp="unconfined", seccomp_profile=None)
    result = host_result(run_check, COPY_FAIL, snapshot)
    assert result.status is Status.FAIL and result.evidence["reachable_containers"] == ["no-seccomp"]
    assert result.detail == "vulnerable kernel (6.18.21); reachable from containers no-seccomp"


def test_vsock_bug_reaches_only_containers_whose_seccomp_allows_af_vsock(run_check, lab_snapshot):
    result = host_result(run_check, "kernel.cve_2024_50264", with_kernel(lab_snapshot, "6.6.60"))
    assert result.status is Status.FAIL
    # Docker's default profile denies AF_VSOCK; containerd 1.6's default profile (recorded) allows every family
    assert result.evidence["reachable_containers"] == ["default/plain-task", "default/userns-task", "no-seccomp",
                                                       "priv", "shop/locked/web", "shop/risky/app"]


def test_dirty_frag_esp_needs_both_esp_modules_blocked(run_check, lab_snapshot):
    one = {"esp4": "install /bin/false (/etc/modprobe.d/dirtyfrag.conf:1)"}
    snapshot = with_kernel(lab_snapshot, "6.12.86", kernel_modules=modules(available=("esp4", "esp6"), blocked=one))
    assert host_result(run_check, "kernel.cve_2026_43284", snapshot).evidence.get("mitigated_by") is None
    both = {**one, "esp6": "install /bin/false (/etc/modprobe.d/dirtyfrag.conf:2)"}
    snapshot = with_kernel(lab_snapshot, "6.12.86", kernel_modules=modules(available=("esp4", "esp6"), blocked=both))
    result = host_result(run_check, "kernel.cve_2026_43284", snapshot)
    assert result.status is Status.PASS and len(result.evidence["mitigated_by"]) == 2


@pytest.mark.parametrize("release", ["9999.0.0", "21.1.1", "6." + "9" * 4000])
def test_implausible_kernel_versions_are_unknown(release, run_check, lab_snapshot):
    result = host_result(run_check, COPY_FAIL, with_kernel(lab_snapshot, release))
    assert result.status is Status.UNKNOWN and result.evidence["upstream_base"] is None


def _all_containers(snapshot, **changes):
    """Every Docker container of the snapshot with `changes` declared (their /proc view dropped)."""
    for ctr in snapshot.containers:
        snapshot = replace_container(snapshot, ctr.name, **changes)
    return snapshot


def test_release_agent_path_closed_when_apparmor_confines_every_container(run_check, lab_snapshot):
    snapshot = with_kernel(lab_snapshot, "5.4.176", apparmor_enabled=True)
    confined = _all_containers(snapshot, apparmor_profile="docker-default")
    confined = dataclasses.replace(confined, containerd=dataclasses.replace(confined.containerd, containers=()))
    result = host_result(run_check, "kernel.cve_2022_0492", confined)
    assert result.status is Status.PASS and result.evidence["reachable_from_containers"] is False
    assert "AppArmor or SELinux confines every container" in result.evidence["mitigated_by"][0]
    unconfined = replace_container(confined, "priv", apparmor_profile="unconfined")
    result = host_result(run_check, "kernel.cve_2022_0492", unconfined)
    assert result.status is Status.FAIL and "CAP_SYS_ADMIN held by priv" in result.evidence["reachable_why"]


def test_overlayfs_fuse_bug_needs_dev_fuse_in_a_container(run_check, lab_snapshot):
    snapshot = with_kernel(lab_snapshot, "6.1.8", sysctls={**lab_snapshot.host.sysctls,
                                                           "user.max_user_namespaces": "15000"})
    snapshot = replace_container(snapshot, "priv", privileged=False)
    result = host_result(run_check, "kernel.cve_2023_0386", snapshot)
    assert result.status is Status.PASS and result.evidence["mitigated_by"] == ["no container has /dev/fuse"]
    with_fuse = replace_container(snapshot, "no-seccomp", devices=("/dev/fuse",))
    result = host_result(run_check, "kernel.cve_2023_0386", with_fuse)
    assert result.status is Status.FAIL and result.evidence["reachable_from_containers"] is True
    assert "/dev/fuse in no-seccomp" in result.evidence["reachable_why"]


# io_uring use-after-frees: the lab's Docker 20.10 default profile and containerd 1.6's RuntimeDefault (both recorded)
# allow io_uring_setup; moby/moby#46762 (Docker 25.0) and containerd#9320 (2.0) removed it from the defaults
IO_URING_TIMEOUT = "kernel.cve_2022_29582"
IO_URING_GC = "kernel.cve_2022_2602"
IO_URING_BUFFER = "kernel.cve_2023_2598"
DENY_IO_URING = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["io_uring_setup", "io_uring_enter", "io_uring_register"], "action": "SCMP_ACT_ERRNO"}]}


def _every_container_denies_io_uring(snapshot):
    containers = tuple(dataclasses.replace(c, seccomp="custom", seccomp_profile=DENY_IO_URING)
                       for c in snapshot.containers)
    containerd = dataclasses.replace(snapshot.containerd, containers=tuple(
        dataclasses.replace(c, seccomp="custom", seccomp_profile=DENY_IO_URING)
        for c in snapshot.containerd.containers))
    return dataclasses.replace(snapshot, containers=containers, containerd=containerd, runtime={})


def _with_sysctls(snapshot, **sysctls):
    host = dataclasses.replace(snapshot.host, sysctls={**snapshot.host.sysctls, **sysctls})
    return dataclasses.replace(snapshot, host=host)


def test_io_uring_bug_on_an_affected_kernel_names_the_containers_whose_seccomp_allows_it(run_check, lab_snapshot):
    result = host_result(run_check, IO_URING_TIMEOUT, with_kernel(lab_snapshot, "5.17.2"))
    assert result.status is Status.FAIL
    assert (result.evidence["branch"], result.evidence["fixed"]) == ("5.17", "5.17.3")
    workloads = sorted(c.name for c in lab_snapshot.all_containers if not c.is_sandbox)
    assert result.evidence["reachable_containers"] == workloads
    assert "io_uring_setup allowed by the seccomp filter of" in result.evidence["reachable_why"]


def test_io_uring_bug_fixed_at_the_records_release(run_check, lab_snapshot):
    for release in ("5.17.3", "5.18"):
        assert host_result(run_check, IO_URING_TIMEOUT, with_kernel(lab_snapshot, release)).status is Status.PASS


def test_io_uring_disabled_host_wide_is_mitigated(run_check, lab_snapshot):
    snapshot = _with_sysctls(with_kernel(lab_snapshot, "5.17.2"), **{"kernel.io_uring_disabled": "2"})
    result = host_result(run_check, IO_URING_TIMEOUT, snapshot)
    assert result.status is Status.PASS
    assert result.evidence["mitigated_by"] == ["io_uring is disabled for every process (kernel.io_uring_disabled=2)"]
    assert result.evidence["reachable_containers"] == []


def test_io_uring_denied_by_every_containers_seccomp_is_mitigated(run_check, lab_snapshot):
    result = host_result(run_check, IO_URING_GC, _every_container_denies_io_uring(with_kernel(lab_snapshot, "6.0")))
    assert result.status is Status.PASS
    assert result.evidence["mitigated_by"] == ["seccomp denies io_uring_setup in every container"]


def test_io_uring_reached_from_the_one_container_without_seccomp(run_check, lab_snapshot):
    snapshot = _every_container_denies_io_uring(with_kernel(lab_snapshot, "6.0"))
    snapshot = replace_container(snapshot, "no-seccomp", seccomp="unconfined", seccomp_profile=None)
    result = host_result(run_check, IO_URING_GC, snapshot)
    assert result.status is Status.FAIL and result.evidence["reachable_containers"] == ["no-seccomp"]


def test_io_uring_restricted_to_cap_sys_admin_leaves_only_containers_holding_it(run_check, lab_snapshot):
    snapshot = _with_sysctls(with_kernel(lab_snapshot, "5.17.2"),
                             **{"kernel.io_uring_disabled": "1", "kernel.io_uring_group": "-1"})
    result = host_result(run_check, IO_URING_TIMEOUT, snapshot)
    assert result.status is Status.FAIL
    assert "priv" in result.evidence["reachable_containers"]
    assert "default/plain-task" not in result.evidence["reachable_containers"]
    # with a group allowed, membership is not collected: every container whose seccomp allows it stays reachable
    snapshot = _with_sysctls(snapshot, **{"kernel.io_uring_group": "1000"})
    assert "default/plain-task" in host_result(run_check, IO_URING_TIMEOUT, snapshot).evidence["reachable_containers"]


def test_docker_25_default_profile_denies_io_uring(run_check, lab_snapshot):
    snapshot = with_kernel(lab_snapshot, "5.17.2")
    version = {**snapshot.docker_daemon.version, "Version": "25.0.0"}
    snapshot = dataclasses.replace(snapshot, docker_daemon=dataclasses.replace(snapshot.docker_daemon,
                                                                                version=version))
    reachable = host_result(run_check, IO_URING_TIMEOUT, snapshot).evidence["reachable_containers"]
    docker_default = [c.name for c in snapshot.containers if c.seccomp == "default" and not c.privileged]
    assert docker_default and not set(docker_default) & set(reachable)
    assert "default/plain-task" in reachable  # containerd 1.6's RuntimeDefault still allows it


@pytest.mark.parametrize(("check_id", "release"), [
    (IO_URING_TIMEOUT, "5.15.30"), (IO_URING_GC, "5.15.70"), (IO_URING_BUFFER, "6.1.20")])
def test_io_uring_stable_branches_no_authority_names_are_unknown_never_pass(check_id, release, run_check,
                                                                            lab_snapshot):
    result = host_result(run_check, check_id, with_kernel(lab_snapshot, release))
    assert result.status is Status.UNKNOWN
    assert result.evidence["assessment"].startswith("undecided: branch ")
    assert "no authority states the fix release of other stable branches" in result.detail


@pytest.mark.parametrize(("check_id", "release", "status"), [
    (IO_URING_GC, "6.0", Status.FAIL),  # a mainline release below the mainline fix carries no backport
    (IO_URING_GC, "6.1", Status.PASS), (IO_URING_BUFFER, "6.3", Status.FAIL), (IO_URING_BUFFER, "6.4", Status.PASS),
    (IO_URING_BUFFER, "6.6.30", Status.PASS)])
def test_io_uring_mainline_boundaries(check_id, release, status, run_check, lab_snapshot):
    assert host_result(run_check, check_id, with_kernel(lab_snapshot, release)).status is status


def _no_containers(snapshot, docker: str, containerd: str):
    daemon = dataclasses.replace(snapshot.docker_daemon, version={**snapshot.docker_daemon.version, "Version": docker})
    engine = with_main(dataclasses.replace(snapshot.containerd, containers=()), version=containerd)
    return dataclasses.replace(snapshot, containers=(), containerd=engine, docker_daemon=daemon, runtime={}, cri=None)


@pytest.mark.parametrize(("docker", "containerd", "mitigated"), [
    ("25.0.0", "2.0.0", True), ("25.0.0", "1.7.20", False), ("24.0.9", "2.0.0", False)])
def test_io_uring_without_containers_is_mitigated_only_when_every_runtime_default_denies_it(
        docker, containerd, mitigated, run_check, lab_snapshot):
    result = host_result(run_check, IO_URING_TIMEOUT, _no_containers(with_kernel(lab_snapshot, "5.17.2"), docker,
                                                                     containerd))
    if mitigated:
        assert result.status is Status.PASS
        assert result.evidence["mitigated_by"] == ["the runtimes' default seccomp profiles deny io_uring_setup"]
    else:
        assert result.status is Status.FAIL and "mitigated_by" not in result.evidence


# Fragnesia (CVE-2026-46300) and DirtyClone (CVE-2026-43503): the fixed releases as the kernel CNA's records list them
# (copied by hand): 7.0.10 and 6.18.33; the records name no mainline fix, so 7.1 is unknown, never a pass
@pytest.mark.parametrize("check_id", ["kernel.cve_2026_46300", "kernel.cve_2026_43503"])
@pytest.mark.parametrize(("release", "status"), [
    ("7.0.9", Status.FAIL), ("6.18.32", Status.FAIL), ("6.19.14", Status.FAIL), ("7.0.10", Status.PASS),
    ("6.18.33", Status.PASS), ("5.10.257", Status.PASS), ("3.8.13", Status.PASS), ("7.1.2", Status.UNKNOWN)])
def test_fragnesia_and_dirtyclone_at_their_record_edges(check_id, release, status, run_check, lab_snapshot):
    result = host_result(run_check, check_id, with_kernel(lab_snapshot, release))
    assert result.status is status, result.evidence
    if status is Status.UNKNOWN:
        assert result.evidence["assessment"].startswith("undecided: above every fixed release")
