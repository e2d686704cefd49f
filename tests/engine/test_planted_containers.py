"""The auditor against a real private dockerd and containerd: each planted weakness is found on the right container,
with the evidence that decided it, and nothing is found on the hardened ones."""

from __future__ import annotations

import pytest

from tests.engine.conftest import RUN_HAS_RUNTIME_SOCKET, needs_engine

pytestmark = needs_engine

# What any container run with Docker's defaults fails here: root, default caps (NET_RAW), no limits, writable rootfs.
DEFAULTS = {"container.cap_net_raw", "container.no_new_privileges_unset", "container.runs_as_root",
            "container.rootfs_writable", "container.no_memory_limit", "container.no_pids_limit",
            "container.no_cpu_limit", "container.no_healthcheck",
            # the lab's dockerd runs --iptables=false: nothing isolates containers on its default network
            "container.net_raw_on_shared_network", "container.bridge_peers_reachable"}
# Defaults a container escapes by its planted option (host-net has no bridge peers).
NOT_DEFAULT = {"host-net": {"container.bridge_peers_reachable"}}
# Only a host with cgroup v1 hierarchies has a release_agent to write.
CGROUP_V1_ONLY = {"container.cgroup_release_agent_writable"}

EXPECTED = {
    "sysadmin": {"container.cap_sys_admin", "container.capabilities_added", "container.cgroup_release_agent_writable",
                 "container.seccomp_bypassed_by_capability", "container.seccomp_allows_dangerous_syscalls"},
    "sock": {"container.docker_socket_mounted"},
    "run-dir": {"container.sensitive_mount"} | ({"container.docker_socket_mounted"} if RUN_HAS_RUNTIME_SOCKET
                                                else set()),
    # docker binds are recursive: the host's /proc, /sys and cgroup mounts come along read-write
    "host-root": {"container.host_root_mounted", "container.docker_socket_mounted", "container.proc_sys_writable",
                  "container.sysfs_writable", "container.cgroupfs_writable", "container.usermode_helper_writable"},
    "etc-ro": {"container.sensitive_mount"},
    "host-pid": {"container.host_pid"},
    "host-net": {"container.host_network"},
    "host-ipc": {"container.host_ipc"},
    "host-uts": {"container.host_uts"},
    "host-cgroupns": {"container.host_cgroupns"},
    "no-seccomp": {"container.seccomp_unconfined", "container.seccomp_allows_dangerous_syscalls"},
    "ptrace-pid": {"container.cap_sys_ptrace", "container.capabilities_added", "container.host_pid",
                   "container.ptrace_host_pid"},
    "module-stopped": {"container.cap_sys_module", "container.capabilities_added",
                       "container.seccomp_bypassed_by_capability", "container.seccomp_allows_dangerous_syscalls"},
}


# Seccomp content: no filter at all, or a capability that re-opens syscalls in Docker's default profile.
for _name in ("sysadmin", "module-stopped", "no-seccomp"):
    EXPECTED[_name] = EXPECTED[_name] | {"container.seccomp_allows_dangerous_syscalls"}

@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_weak_container_fails_exactly_its_weakness(report, failing, name):
    host_dependent = CGROUP_V1_ONLY if report["host"]["cgroup"] != "v1" else set()
    assert failing[name] == (DEFAULTS | EXPECTED[name]) - host_dependent - NOT_DEFAULT.get(name, set())


@pytest.mark.parametrize("name", ["hardened", "hardened-stopped"])
def test_hardened_containers_fail_nothing(report, failing, name):
    assert failing.get(name, set()) == set()
    passed = {f["check_id"] for f in report["findings"] if f["subject"]["name"] == name and f["status"] == "pass"}
    assert {"container.privileged", "container.cap_sys_admin", "container.runs_as_root"} <= passed


def test_privileged_created_container_is_audited(report, failing):
    state = {c["name"]: c["state"] for c in report["containers"]}
    assert state["priv"] == "created"
    assert {"container.privileged", "container.cap_sys_admin", "container.cap_sys_module",
            "container.seccomp_unconfined"} <= failing["priv"]
    evidence = finding(report, "container.privileged", "priv")["evidence"]
    assert evidence["privileged.declared"] is True


def test_socket_evidence_names_the_mount(report, lab):
    docker, _ = lab
    evidence = finding(report, "container.docker_socket_mounted", "sock")["evidence"]
    assert evidence["mount.source"] == str(docker.socket)
    assert evidence["mount.destination"] == "/var/run/docker.sock"
    via_run = finding(report, "container.docker_socket_mounted", "run-dir")
    if RUN_HAS_RUNTIME_SOCKET:
        assert via_run["evidence"]["mount.source"] == "/run"
    else:  # no socket under /run on this host: /run exposes none (never a path that does not exist)
        assert via_run["status"] == "pass"


def test_running_container_capabilities_come_from_proc(report):
    evidence = finding(report, "container.cap_sys_admin", "sysadmin")["evidence"]
    assert evidence["capabilities.source"] == "/proc CapBnd"
    stopped = finding(report, "container.cap_sys_module", "module-stopped")["evidence"]
    assert stopped["capabilities.source"] == "declared"


def test_host_namespace_is_decided_by_inode_against_a_named_reference(report):
    evidence = finding(report, "container.host_network", "host-net")["evidence"]
    assert evidence["namespaces.network.effective"].startswith("net:[")
    assert evidence["namespaces.reference"].startswith(evidence["namespaces.network.effective"])
    assert report["host"]["namespace_reference"]


def test_containerd_pod_is_named_and_audited(report, failing):
    names = {c["name"] for c in report["containers"]}
    assert "shop/risky/app" in names
    assert "shop/risky/(sandbox)" not in names  # sandboxes fold into their pod: never counted as containers
    assert {"container.host_root_mounted", "container.cap_sys_admin", "container.host_network",
            "container.seccomp_unconfined"} <= failing["shop/risky/app"]
    assert "shop/risky/(sandbox)" not in failing  # sandboxes fold into their pod
    assert failing["shop/locked/web"].isdisjoint({"container.cap_sys_admin", "container.seccomp_unconfined",
                                                  "container.host_network", "container.rootfs_writable"})


def test_plain_containerd_task_outside_kubernetes(report):
    assert "default/plain-task" in {c["name"] for c in report["containers"]}


def test_docker_tasks_are_not_reported_twice(report):
    sources = [c for c in report["containers"] if c["source"] == "containerd"]
    assert all(not c["name"].startswith("moby/") for c in sources)


def test_daemon_checks_read_the_running_daemon(report):
    icc = finding(report, "daemon.icc_enabled", "daemon")
    assert icc["status"] == "fail" and icc["evidence"]["source"] == "default"
    assert finding(report, "daemon.tcp_without_tls", "daemon")["status"] == "pass"
    assert report["collectors"]["containers"]["state"] == "ok"
    assert report["collectors"]["runtime"]["state"] == "ok"


def finding(report: dict, check_id: str, subject: str) -> dict:
    """The one result of `check_id` on the subject named `subject` (`daemon`: the endpoint's dockerd, by its key)."""
    matches = [f for f in report["findings"] if f["check_id"] == check_id
               and (f["subject"]["key"] == "daemon" if subject == "daemon" else f["subject"]["name"] == subject)]
    assert len(matches) == 1, f"{check_id} on {subject}: {len(matches)} results"
    return matches[0]
