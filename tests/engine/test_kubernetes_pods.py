"""Kubernetes-style pods on a real containerd, audited through the CLI: names, pod-level namespaces, seccomp content.

The pods are planted with `ctr` (sandbox task, then containers joining its network and IPC namespaces, with the
io.kubernetes.cri.* annotations CRI writes). ctr has no --user: the hardened pod's image sets USER 1000:1000.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from tests.engine.conftest import needs_engine
from tests.lab import CTR_DROP_ALL, NONROOT_CTR_IMAGE, PrivateContainerd, lab_dir, run_hostaudit

pytestmark = needs_engine

RISKY, UNFILTERED, TRACER, HARDENED = "k8s/risky/app", "k8s/unfiltered/app", "k8s/tracer/debug", "k8s/hardened/web"
TASKS = "io.containerd.runtime.v2.task"


def _spec(containerd: PrivateContainerd, task_id: str) -> dict:
    return json.loads((containerd.state / TASKS / "k8s.io" / task_id / "config.json").read_text())


def plant(containerd: PrivateContainerd) -> None:
    containerd.pod("k8s", "risky", {"app": ("--cap-add", "CAP_SYS_ADMIN", "--mount",
                                            "type=bind,src=/,dst=/host,options=rbind:rw", "--seccomp")},
                   sandbox=("--net-host",))
    containerd.pod("k8s", "unfiltered", {"app": ()})  # ctr without --seccomp: no filter at all
    containerd.pod("k8s", "hardened", {"web": ("--seccomp", "--read-only", *CTR_DROP_ALL,
                                               "--memory-limit", str(64 << 20))}, image=NONROOT_CTR_IMAGE)
    # containerd's own default profile, plus an unconditional allow for ptrace and mount
    profile = _spec(containerd, "hardened-web")["linux"]["seccomp"]
    profile["syscalls"].append({"names": ["ptrace", "mount"], "action": "SCMP_ACT_ALLOW"})
    profile_file = containerd.base / "ptrace-mount.json"
    profile_file.write_text(json.dumps(profile))
    containerd.pod("k8s", "tracer", {"debug": ("--seccomp", "--seccomp-profile", str(profile_file))})


@pytest.fixture(scope="module")
def pods_report() -> dict:
    base = lab_dir("hak-")
    containerd = PrivateContainerd(base / "containerd")
    try:
        containerd.start()
        containerd.import_oci_image()
        containerd.import_oci_image(NONROOT_CTR_IMAGE, user="1000:1000")
        plant(containerd)
        done = run_hostaudit("audit", "--format", "json", "--docker-host", f"unix://{base}/no-docker.sock",
                             "--containerd-state", str(containerd.state))
        yield json.loads(done.stdout)
    finally:
        containerd.stop()
        shutil.rmtree(base, ignore_errors=True)


def _results(report: dict, subject: str) -> dict[str, dict]:
    return {f["check_id"]: f for f in report["findings"] if f["subject"]["name"] == subject}


def test_pod_containers_are_named_namespace_pod_container_and_sandboxes_are_not_subjects(pods_report):
    names = {c["name"]: c for c in pods_report["containers"]}
    for name in (RISKY, UNFILTERED, TRACER, HARDENED):
        assert names[name]["pod"] == name.rsplit("/", 1)[0]
        assert names[name]["key"] == f"k8s:{name}"
    subjects = {f["subject"]["name"] for f in pods_report["findings"]}
    assert RISKY in subjects
    assert not [s for s in subjects if s.endswith("(sandbox)")]
    assert {f["subject"].get("pod") for f in pods_report["findings"] if f["subject"]["name"] == RISKY} == {"k8s/risky"}


def test_risky_pod_fails_host_network_host_root_and_sys_admin_and_can_escape(pods_report):
    risky = _results(pods_report, RISKY)
    for check_id in ("container.host_network", "container.host_root_mounted", "container.cap_sys_admin"):
        assert risky[check_id]["status"] == "fail", check_id
    # its own config.json names the sandbox's namespace file; the pod's sandbox has the host network
    assert risky["container.host_network"]["evidence"]["namespaces.network.declared"].startswith("path:/proc/")
    verdict = next(v for v in pods_report["escapes"] if v["subject"]["name"] == RISKY)
    assert verdict["verdict"] == "escapable"


def test_missing_seccomp_filter_fails_both_seccomp_checks(pods_report):
    unfiltered = _results(pods_report, UNFILTERED)
    assert unfiltered["container.seccomp_unconfined"]["status"] == "fail"
    content = unfiltered["container.seccomp_allows_dangerous_syscalls"]
    assert content["status"] == "fail"
    assert content["evidence"]["seccomp.proc_mode"] == 0


def test_profile_allowing_ptrace_and_mount_is_reported_as_such(pods_report):
    tracer = _results(pods_report, TRACER)
    assert tracer["container.seccomp_unconfined"]["status"] == "pass"  # a filter is on ...
    content = tracer["container.seccomp_allows_dangerous_syscalls"]
    assert content["status"] == "fail"  # ... and it is not good
    assert {"ptrace", "mount"} <= set(content["evidence"]["seccomp.allows"])
    assert content["evidence"]["seccomp.beyond_runtime_default"] == ["mount"]
    assert content["evidence"]["seccomp.proc_mode"] == 2


POD_CHECKS = ("container.host_network", "container.host_pid", "container.host_ipc", "container.privileged",
              "container.cap_sys_admin", "container.cap_net_raw", "container.host_root_mounted",
              "container.seccomp_unconfined", "container.seccomp_allows_dangerous_syscalls",
              "container.no_new_privileges_unset", "container.rootfs_writable", "container.runs_as_root",
              "container.no_memory_limit", "container.net_raw_on_shared_network")


def test_hardened_pod_passes_the_pod_relevant_checks(pods_report):
    hardened = _results(pods_report, HARDENED)
    failing = {cid for cid in POD_CHECKS if hardened[cid]["status"] != "pass"}
    assert not failing, {cid: hardened[cid]["evidence"] for cid in failing}
    assert hardened["container.runs_as_root"]["evidence"]["user.proc_uid"] == 1000
    verdict = next(v for v in pods_report["escapes"] if v["subject"]["name"] == HARDENED)
    assert verdict["verdict"] != "escapable"


def test_node_checks_without_kubelet_are_not_applicable(pods_report):
    host = {f["check_id"]: f for f in pods_report["findings"] if f["subject"]["key"] == "host"}
    for check_id in ("kubelet.anonymous_auth_enabled", "cni.no_network_policy_enforcement"):
        assert host[check_id]["status"] == "not_applicable", check_id
    # the lab's containerd disables CRI: its CRI settings do not apply
    assert host["containerd.apparmor_disabled"]["status"] == "not_applicable"
    assert host["containerd.config_invalid"]["status"] == "pass"


def test_docker_tasks_are_not_reported_twice(lab, tmp_path):
    """Docker's own containerd tasks (namespace moby) are the Docker containers: each is reported once."""
    docker, _ = lab
    ids = set(docker.docker("ps", "-q", "--no-trunc").stdout.decode().split())
    bundles = [p for root in (docker.base, Path("/run/containerd")) for p in root.glob(f"**/{TASKS}/moby/*/config.json")
               if p.parent.name in ids]
    assert bundles, "the bundles of dockerd's containers were not found"
    states = sorted({str(p.parents[3]) for p in bundles})
    facts = tmp_path / "facts.json"
    run_hostaudit("collect", "--out", str(facts), "--docker-host", docker.url,
                  *[arg for state in states for arg in ("--containerd-state", state)])
    snapshot = json.loads(facts.read_text())
    assert snapshot["containerd"]["skipped_docker_tasks"] >= len(bundles)
    assert not [c for c in snapshot["containerd"]["containers"] if c["namespace"] == "moby" and c["id"] in ids]
    report = json.loads(run_hostaudit("audit", "--facts", str(facts), "--format", "json").stdout)
    keys = Counter(c["key"] for c in report["containers"])
    assert keys["docker:hardened"] == 1 and max(keys.values()) == 1


@pytest.fixture()
def root_dir():
    """A directory only root can write (the audit reads root's daemons' configs only from such places)."""
    folder = lab_dir("ha-kubelet-")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_kubelet_is_read_from_its_process_and_config_file(root_dir):
    """A process named kubelet (a shell script: comm and argv are what psutil reads) with --config and a flag."""
    import subprocess

    config = root_dir / "config.yaml"
    config.write_text("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
                      "authentication:\n  anonymous:\n    enabled: true\nreadOnlyPort: 0\n")
    fake = root_dir / "kubelet"
    fake.write_text("#!/bin/sh\nsleep 120\n")
    fake.chmod(0o755)
    (root_dir / "no-containerd" / TASKS).mkdir(parents=True)  # a containerd state dir without tasks
    process = subprocess.Popen([str(fake), "--config", str(config), "--read-only-port=10255"])
    try:
        done = run_hostaudit("audit", "--format", "json", "--docker-host", f"unix://{root_dir}/no-docker.sock",
                             "--containerd-state", str(root_dir / "no-containerd"))
    finally:
        process.kill()
        process.wait()
    host = {f["check_id"]: f for f in json.loads(done.stdout)["findings"] if f["subject"]["key"] == "host"}
    anonymous = host["kubelet.anonymous_auth_enabled"]
    assert anonymous["status"] == "fail"
    assert anonymous["evidence"]["source"] == f"{config}: authentication.anonymous.enabled"
    read_only = host["kubelet.read_only_port_open"]
    assert (read_only["status"], read_only["evidence"]["source"]) == ("fail", "argv --read-only-port")
