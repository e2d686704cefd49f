"""Every container-scope check proven on the real engine: a planted container fails it, a hardened one passes it,
and each planted container gets the escape verdict its weakness deserves."""

from __future__ import annotations

import pytest

from tests.engine.conftest import RUN_HAS_RUNTIME_SOCKET, needs_engine
from tests.engine.test_planted_containers import DEFAULTS, finding

pytestmark = needs_engine

# check id -> (planted container that fails it, container that passes it)
PRIVILEGED_ONLY_CAPS = ("container.cap_bpf", "container.cap_dac_read_search", "container.cap_mac_admin",
                        "container.cap_mac_override", "container.cap_net_admin", "container.cap_perfmon",
                        "container.cap_sys_boot", "container.cap_sys_rawio", "container.cap_sys_time",
                        "container.cap_syslog")
PROOF = {
    "container.privileged": ("priv", "hardened"),
    **{check_id: ("priv", "hardened") for check_id in PRIVILEGED_ONLY_CAPS},
    "container.cap_sys_admin": ("sysadmin", "hardened"),
    "container.cap_sys_ptrace": ("ptrace-pid", "hardened"),
    "container.cap_sys_module": ("module-stopped", "hardened-stopped"),
    "container.cap_net_raw": ("etc-ro", "hardened"),
    "container.capabilities_added": ("sysadmin", "hardened"),
    "container.docker_socket_mounted": ("sock", "hardened"),
    "container.host_root_mounted": ("host-root", "hardened"),
    "container.sensitive_mount": ("etc-ro", "hardened"),
    "container.host_pid": ("host-pid", "hardened"),
    "container.host_network": ("host-net", "hardened"),
    "container.host_ipc": ("host-ipc", "hardened"),
    "container.host_uts": ("host-uts", "hardened"),
    "container.host_cgroupns": ("host-cgroupns", "hardened"),
    "container.seccomp_unconfined": ("no-seccomp", "hardened"),
    "container.no_new_privileges_unset": ("etc-ro", "hardened"),
    "container.runs_as_root": ("etc-ro", "hardened"),
    "container.rootfs_writable": ("etc-ro", "hardened"),
    "container.no_memory_limit": ("etc-ro", "hardened"),
    "container.no_pids_limit": ("etc-ro", "hardened"),
    "container.no_cpu_limit": ("etc-ro", "hardened"),
    "container.no_healthcheck": ("etc-ro", "hardened"),
    "container.proc_sys_writable": ("cc-systempaths", "hardened"),
    "container.masked_paths_removed": ("cc-systempaths", "hardened"),
    "container.usermode_helper_writable": ("cc-systempaths", "hardened"),
    "container.sysfs_writable": ("cc-sys-rw", "hardened"),
    "container.cgroupfs_writable": ("cc-cgroup-rw", "hardened"),
    "container.kmsg_exposed": ("cc-kmsg", "hardened-stopped"),
    "container.memory_device_exposed": ("cc-mem", "hardened-stopped"),
    "container.block_device_exposed": ("cc-disk", "hardened-stopped"),
    "container.device_cgroup_allow_all": ("cc-device-rule", "hardened-stopped"),
    "container.mount_propagation_shared": ("cc-propagation", "hardened-stopped"),
    "container.lxcfs_writable": ("cc-lxcfs", "hardened-stopped"),
    "container.joins_container_namespace": ("cc-join-net", "hardened"),
    "container.privileged_port_published": ("cc-ports", "cc-ports-local"),
    "container.port_bound_all_interfaces": ("cc-ports", "cc-ports-local"),
    "container.restart_policy_unbounded": ("cc-restart", "hardened"),
    "container.cgroup_parent_set": ("cc-cgroup-parent", "hardened"),
    "container.ulimits_overridden": ("cc-ulimit", "hardened"),
    "container.service_account_token_mounted": ("cc-sa-token", "hardened"),
    "container.nvidia_gpu_access": ("cc-gpu", "hardened-stopped"),
    "container.seccomp_bypassed_by_capability": ("cc-dac-read-search", "hardened"),
    "container.ptrace_host_pid": ("ptrace-pid", "host-pid"),
    "container.host_userns": ("cc-userns-host", "default/userns-task"),
    "container.seccomp_allows_dangerous_syscalls": ("no-seccomp", "hardened"),
    "container.net_raw_on_shared_network": ("etc-ro", "shop/locked/web"),
}
# The lab's dockerd runs with --iptables=false, so every bridged container's peers reach it and nothing can pass; a
# container without a network (hardened: --network none) or on the host's is not_applicable.
NO_PASS_IN_THIS_LAB = {"container.bridge_peers_reachable": ("etc-ro", "hardened")}
# These depend on the host: an LSM that is not there is not_applicable; cgroup v2 has no release_agent.
LSM = {"container.apparmor_unconfined": ("cc-apparmor-off", "apparmor"),
       "container.selinux_disabled": ("cc-label-off", "selinux")}
RELEASE_AGENT = "container.cgroup_release_agent_writable"

# Defaults a container escapes by its planted option: joining another container's network is no bridge of its own.
NOT_DEFAULT = {"cc-join-net": {"container.bridge_peers_reachable"}}

CC_EXPECTED = {
    "cc-systempaths": {"container.proc_sys_writable", "container.masked_paths_removed",
                       "container.usermode_helper_writable"},
    "cc-sys-rw": {"container.sysfs_writable", "container.usermode_helper_writable", "container.sensitive_mount"},
    "cc-cgroup-rw": {"container.cgroupfs_writable", "container.sensitive_mount"},
    "cc-kmsg": {"container.kmsg_exposed"},
    "cc-mem": {"container.memory_device_exposed"},
    "cc-disk": {"container.block_device_exposed"},
    "cc-device-rule": {"container.device_cgroup_allow_all"},
    "cc-propagation": {"container.mount_propagation_shared"},
    "cc-lxcfs": {"container.lxcfs_writable"},
    "cc-join-net": {"container.joins_container_namespace", "container.host_network"},
    "cc-ports": {"container.privileged_port_published", "container.port_bound_all_interfaces"},
    "cc-restart": {"container.restart_policy_unbounded"},
    "cc-cgroup-parent": {"container.cgroup_parent_set"},
    "cc-ulimit": {"container.ulimits_overridden"},
    "cc-sa-token": {"container.service_account_token_mounted"},
    "cc-gpu": {"container.nvidia_gpu_access"},
    "cc-dac-read-search": {"container.cap_dac_read_search", "container.capabilities_added",
                           "container.seccomp_bypassed_by_capability", "container.seccomp_allows_dangerous_syscalls"},
    "cc-userns-host": {"container.host_userns"},
    "cc-apparmor-off": set(),
    "cc-label-off": set(),
}

RUN_DIR = ("run-dir",)  # /run mounted: escapable only where a runtime socket really is under /run
ESCAPABLE = ("priv", "sock", *(RUN_DIR if RUN_HAS_RUNTIME_SOCKET else ()),
             "host-root", "ptrace-pid", "module-stopped", "cc-systempaths", "cc-sys-rw",
             "cc-mem", "cc-disk", "cc-device-rule", "cc-lxcfs", "cc-dac-read-search", "shop/risky/app")
WEAKENED = ("no-seccomp", "host-net", "host-pid", "host-ipc", "host-uts", "host-cgroupns", "etc-ro", "cc-cgroup-rw",
            "cc-kmsg", "cc-join-net", "cc-propagation", "cc-gpu", "cc-restart", "cc-userns-host",
            *(() if RUN_HAS_RUNTIME_SOCKET else RUN_DIR))
CONTAINED = ("hardened", "hardened-stopped")


def status(report: dict, check_id: str, name: str) -> str:
    return finding(report, check_id, name)["status"]


@pytest.mark.parametrize("check_id", sorted(PROOF))
def test_planted_container_fails_and_hardened_one_passes(report, check_id):
    failing, passing = PROOF[check_id]
    assert status(report, check_id, failing) == "fail"
    assert status(report, check_id, passing) == "pass"


@pytest.mark.parametrize("check_id", sorted(NO_PASS_IN_THIS_LAB))
def test_checks_that_cannot_pass_in_this_lab_fail_on_the_planted_container(report, check_id):
    failing, other = NO_PASS_IN_THIS_LAB[check_id]
    assert status(report, check_id, failing) == "fail"
    assert status(report, check_id, other) == "not_applicable"


@pytest.mark.parametrize("check_id", sorted(LSM))
def test_lsm_checks_fail_on_the_planted_container_where_the_host_runs_the_lsm(report, check_id):
    name, lsm = LSM[check_id]
    if lsm in (report["host"]["lsm"] or "").split(","):
        assert status(report, check_id, name) == "fail"
        assert status(report, check_id, "hardened") == "pass"
    else:
        result = finding(report, check_id, name)
        assert result["status"] == "not_applicable"
        assert result["evidence"] in ({"host.apparmor_enabled": False}, {"host.selinux": None})


def test_release_agent_is_writable_only_on_cgroup_v1(report):
    sysadmin = finding(report, RELEASE_AGENT, "sysadmin")
    assert sysadmin["status"] == ("fail" if report["host"]["cgroup"] == "v1" else "pass")
    assert sysadmin["evidence"]["capabilities.has_SYS_ADMIN"] is True
    assert status(report, RELEASE_AGENT, "hardened") == "pass"


@pytest.mark.parametrize("name", sorted(CC_EXPECTED))
def test_each_planted_container_fails_exactly_its_weakness(failing, name):
    assert failing[name] == (DEFAULTS | CC_EXPECTED[name]) - NOT_DEFAULT.get(name, set())


def test_effective_mounts_decide_for_running_containers(report):
    systempaths = finding(report, "container.proc_sys_writable", "cc-systempaths")["evidence"]
    assert systempaths["source"] == "/proc mountinfo" and systempaths["writable_at"] == ["/proc/sys"]
    assert finding(report, "container.sysfs_writable", "cc-sys-rw")["evidence"]["writable_at"] == ["/hostsys"]
    helpers = finding(report, "container.usermode_helper_writable", "cc-sys-rw")["evidence"]
    assert helpers["helpers_writable"] == ["uevent_helper"]
    masked = finding(report, "container.masked_paths_removed", "hardened")["evidence"]
    assert masked["masked_paths.mountinfo"]


def test_created_containers_are_judged_on_their_declaration(report):
    assert finding(report, "container.block_device_exposed", "cc-disk")["evidence"]["devices.block"] == ["/dev/sdz"]
    rule = finding(report, "container.device_cgroup_allow_all", "cc-device-rule")["evidence"]
    assert rule["device_cgroup_rules"] == ["a *:* rwm"]
    ports = finding(report, "container.port_bound_all_interfaces", "cc-ports")["evidence"]
    assert ports["ports.all_interfaces"] and all(p.endswith("->80/tcp") for p in ports["ports.all_interfaces"])
    gpu = finding(report, "container.nvidia_gpu_access", "cc-gpu")["evidence"]
    assert gpu["device_requests"] and "gpu" in gpu["device_requests"][0]


def test_joined_network_namespace_is_followed_to_the_host(report):
    evidence = finding(report, "container.joins_container_namespace", "cc-join-net")["evidence"]
    assert evidence["namespaces.network.joins"] == ["host-net"]
    assert evidence["reaches_host"] == ["network"]


def verdicts(report: dict) -> dict[str, dict]:
    return {v["subject"]["name"]: v for v in report["escapes"]}


@pytest.mark.parametrize("name", ESCAPABLE)
def test_escapable_containers(report, name):
    verdict = verdicts(report)[name]
    assert verdict["verdict"] == "escapable"
    direct = [p for p in verdict["paths"] if p["kind"] == "direct"]
    assert direct and all(p["evidence"] for p in direct)


def test_sys_admin_escapes_through_release_agent_on_cgroup_v1(report):
    verdict = verdicts(report)["sysadmin"]
    if report["host"]["cgroup"] == "v1":
        assert verdict["verdict"] == "escapable"
        assert "release_agent" in verdict["paths"][0]["technique"]
        assert verdict["paths"][0]["evidence"][0].startswith(RELEASE_AGENT)
    else:
        assert verdict["verdict"] == "weakened"


@pytest.mark.parametrize("name", WEAKENED)
def test_weakened_containers(report, name):
    verdict = verdicts(report)[name]
    assert verdict["verdict"] == "weakened"
    assert verdict["paths"] and all(p["kind"] != "direct" for p in verdict["paths"])


@pytest.mark.parametrize("name", CONTAINED)
def test_contained_containers(report, name):
    verdict = verdicts(report)[name]
    assert verdict == {**verdict, "verdict": "contained", "paths": []}


def test_report_leads_with_how_many_containers_can_escape(report):
    assert list(report)[:3] == ["report_version", "summary", "escapes"]
    escapable = {v["subject"]["name"] for v in report["escapes"] if v["verdict"] == "escapable"}
    assert report["summary"]["escapable_containers"] == len(escapable)
    assert set(ESCAPABLE) <= escapable
    assert "shop/risky/(sandbox)" not in verdicts(report)

