"""Real CRI pods (RunPodSandbox / CreateContainer / StartContainer on a private containerd with CRI), audited
through the CLI with the CRI API as the source: every container in every state, pods as Kubernetes names them."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.cri_lab import ContainerSpec, PodSpec, PrivateCri, cni_available, has_cri_client
from tests.lab import lab_dir, run_hostaudit

pytestmark = pytest.mark.skipif(not has_cri_client() or not cni_available(),
                                reason="needs containerd, the CRI client and the CNI plugins")

NS = "cri-lab"
HARDENED = dict(drop_caps=("ALL",), run_as_user=1000, run_as_group=1000, readonly_rootfs=True, no_new_privs=True,
                seccomp="RuntimeDefault")
HOSTILE_LABEL = "[/bold]\x1b[31m<script>alert(1)</script>" + "A" * 3000
DEPLOYMENT_LABELS = {"app": "web", "pod-template-hash": "7d9f8c6b5"}


def plant(cri: PrivateCri) -> dict[str, dict[str, str]]:
    """The pods of the issue's list; returns pod name -> container name -> CRI id."""
    hardened = PodSpec(NS, "hardened")
    pods = {
        # a Deployment's pod: a finished init container, a weak running app, and one created but never started
        "web-7d9f8c6b5-x2x9z": cri.run_pod(PodSpec(NS, "web-7d9f8c6b5-x2x9z", labels=DEPLOYMENT_LABELS), [
            ContainerSpec("setup", command=("/bin/true",), wait_exit=True, **HARDENED),
            ContainerSpec("app", add_caps=("SYS_ADMIN",), mounts=(("/", "/host"),)),
            ContainerSpec("never", privileged=True, start=False)]),
        "hostns": cri.run_pod(PodSpec(NS, "hostns", host_network=True, host_pid=True, host_ipc=True), [
            ContainerSpec("tracer", add_caps=("SYS_PTRACE",))]),
        "db-0": cri.run_pod(PodSpec(NS, "db-0", labels={"controller-revision-hash": "db-5c9f",
                                                        "statefulset.kubernetes.io/pod-name": "db-0"}), [
            ContainerSpec("priv", privileged=True),
            ContainerSpec("crashed", privileged=True, command=("/bin/sh", "-c", "exit 1"), wait_exit=True)]),
        "sock": cri.run_pod(PodSpec(NS, "sock"), [
            ContainerSpec("agent", mounts=((str(cri.socket), "/run/containerd/containerd.sock"),), **HARDENED)]),
        "hardened": cri.run_pod(hardened, [ContainerSpec("web", **HARDENED)]),
        "mixed": cri.run_pod(PodSpec(NS, "mixed"), [ContainerSpec("weak"), ContainerSpec("strong", **HARDENED)]),
        "hostile": cri.run_pod(PodSpec(NS, "hostile", labels={"job-name": HOSTILE_LABEL, "x": HOSTILE_LABEL}),
                               [ContainerSpec("c", **HARDENED)]),
    }
    cri.limit_pod(hardened, "pids", "pids.max", "512")  # kubelet's podPidsLimit, on the pod's cgroup
    return pods


@pytest.fixture(scope="module")
def cri_lab():
    cri = PrivateCri(lab_dir("hacri-"))
    try:
        cri.start()
        yield cri, plant(cri)
    finally:
        cri.stop()
        shutil.rmtree(cri.base, ignore_errors=True)


def audit(cri: PrivateCri, *extra: str) -> dict:
    done = run_hostaudit("audit", "--format", "json", "--docker-host", f"unix://{cri.base}/no-docker.sock",
                         "--containerd-state", str(cri.state), "--cri-endpoint", f"unix://{cri.socket}", *extra)
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def report(cri_lab) -> dict:
    return audit(cri_lab[0])


def _container(report: dict, name: str) -> dict:
    return next(c for c in report["containers"] if c["name"] == f"{NS}/{name}")


def _results(report: dict, name: str) -> dict[str, dict]:
    return {f["check_id"]: f for f in report["findings"] if f["subject"]["name"] == f"{NS}/{name}"}


def test_cri_is_the_source_and_every_state_is_listed(report, cri_lab):
    assert report["collectors"]["cri"]["state"] == "ok"
    states = {c["name"]: c["state"] for c in report["containers"] if c["name"].startswith(f"{NS}/")}
    assert states[f"{NS}/web-7d9f8c6b5-x2x9z/setup"] == "exited"
    assert states[f"{NS}/web-7d9f8c6b5-x2x9z/app"] == "running"
    assert states[f"{NS}/web-7d9f8c6b5-x2x9z/never"] == "created"
    assert states[f"{NS}/db-0/crashed"] == "exited"
    # every container CRI knows, each once (the bundles of running ones are not read a second time)
    planted = {f"{NS}/{pod}/{name}" for pod, ids in cri_lab[1].items() for name in ids if name != "(sandbox)"}
    assert planted <= set(states)
    assert len([c for c in report["containers"] if c["name"] in planted]) == len(planted)


def test_exited_and_created_privileged_containers_are_audited_from_their_spec(report):
    for name in ("db-0/crashed", "web-7d9f8c6b5-x2x9z/never"):
        results = _results(report, name)
        assert results["container.privileged"]["status"] == "fail", name


def test_running_weak_container_is_read_from_proc(report):
    app = _results(report, "web-7d9f8c6b5-x2x9z/app")
    assert app["container.cap_sys_admin"]["status"] == "fail"
    assert app["container.cap_sys_admin"]["evidence"]["capabilities.source"] == "/proc CapBnd"
    assert app["container.host_root_mounted"]["status"] == "fail"
    assert app["container.seccomp_unconfined"]["status"] == "fail"


def test_host_namespace_sandbox_and_ptrace(report):
    tracer = _results(report, "hostns/tracer")
    for check_id in ("container.host_network", "container.host_pid", "container.host_ipc",
                     "container.ptrace_host_pid"):
        assert tracer[check_id]["status"] == "fail", check_id
    verdict = next(v for v in report["escapes"] if v["subject"]["name"] == f"{NS}/hostns/tracer")
    assert verdict["verdict"] == "escapable"


def test_runtime_socket_mount_is_found(report):
    agent = _results(report, "sock/agent")
    assert agent["container.docker_socket_mounted"]["status"] == "fail"


def test_hardened_pod_and_the_hardened_half_of_a_mixed_pod_pass(report):
    for name in ("hardened/web", "mixed/strong"):
        results = _results(report, name)
        failing = {k: v["evidence"] for k, v in results.items() if v["status"] == "fail"
                   and report["checks"][k]["severity"] in ("critical", "high")}
        assert not failing, (name, failing)
    assert _results(report, "mixed/weak")["container.seccomp_unconfined"]["status"] == "fail"


def test_hardened_pod_is_contained(report):
    """Needs the user-namespace rule for CRI containers (issue 12) to call a hardened pod contained."""
    verdict = next(v for v in report["escapes"] if v["subject"]["name"] == f"{NS}/hardened/web")
    assert verdict["verdict"] == "contained", verdict


def test_without_a_cri_socket_bundles_are_read_and_the_status_says_so(cri_lab):
    cri = cri_lab[0]
    done = run_hostaudit("audit", "--format", "json", "--docker-host", f"unix://{cri.base}/no-docker.sock",
                         "--containerd-state", str(cri.state), "--cri-endpoint", f"unix://{cri.base}/none.sock")
    report = json.loads(done.stdout)
    assert report["collectors"]["cri"]["state"] == "skipped"
    assert "task bundles" in report["collectors"]["cri"]["message"]
    names = {c["name"] for c in report["containers"]}
    assert f"{NS}/web-7d9f8c6b5-x2x9z/app" in names  # running: from its bundle
    assert f"{NS}/web-7d9f8c6b5-x2x9z/never" not in names  # created: only CRI knows it
    # the pod cgroup is found from the sandbox bundle's cgroupsPath too
    pids = _results(report, "hardened/web")["container.no_pids_limit"]
    assert pids["status"] == "pass" and pids["evidence"]["pod_cgroup.pids"] == 512


def _pod(report: dict, name: str) -> dict:
    return next(p for p in report["pods"] if p["namespace"] == NS and p["name"] == name)


def test_pods_are_named_as_kubernetes_shows_them(report, cri_lab):
    web = _pod(report, "web-7d9f8c6b5-x2x9z")
    assert (web["owner_kind"], web["owner_name"]) == ("Deployment", "web")
    assert web["state"] == "ready" and len(web["uid"]) == 36
    assert {k.rsplit("/", 1)[1] for k in web["containers"]} == {"setup", "app", "never"}
    assert (_pod(report, "db-0")["owner_kind"], _pod(report, "db-0")["owner_name"]) == ("StatefulSet", "db")
    assert _pod(report, "hardened")["owner_kind"] == ""
    assert set(_pod(report, "hostns")["host_namespaces"]) == {"network", "pid", "ipc"}


def _failing_controls(pod: dict) -> set[tuple[str, str]]:
    return {(c["control"], c["container"]) for c in pod["pss"]["failing"]}


def test_pod_security_levels_from_effective_facts(report):
    levels = {p["name"]: p["pss"]["level"] for p in report["pods"] if p["namespace"] == NS}
    # runAsNonRoot never reaches the node: restricted is left unproven, not claimed
    assert (levels["hardened"], _pod(report, "hardened")["pss"]["unproven"]) == ("baseline", "restricted"), \
        _pod(report, "hardened")["pss"]
    assert levels["sock"] == "privileged"  # hostPath socket
    assert levels["hostns"] == "privileged"
    assert levels["db-0"] == "privileged"
    assert levels["mixed"] == "privileged"  # the weak container's seccomp: Unconfined (explicit or unset: unknown)
    web = _failing_controls(_pod(report, "web-7d9f8c6b5-x2x9z"))
    assert {("privileged", "never"), ("capabilities_baseline", "app"), ("hostPathVolumes", "app")} <= web
    mixed = _pod(report, "mixed")["pss"]
    assert ("seccompProfile_baseline", "weak") in {(c["control"], c["container"]) for c in mixed["unknown"]}
    assert not [c for c in _failing_controls(_pod(report, "mixed")) if c[1] == "strong"]


def test_pod_cgroup_limits_count_for_its_containers(report):
    hardened = _results(report, "hardened/web")["container.no_pids_limit"]
    assert hardened["status"] == "pass" and hardened["evidence"]["pod_cgroup.pids"] == 512
    assert _results(report, "mixed/weak")["container.no_pids_limit"]["status"] == "fail"
    # kubelet-style CPU shares are no limit; no quota anywhere
    assert _results(report, "mixed/weak")["container.no_cpu_limit"]["status"] == "fail"


def test_trailing_slash_state_dir_keeps_this_containerds_config_and_snapshots_round_trip(cri_lab, tmp_path):
    cri = cri_lab[0]
    facts = tmp_path / "facts.json"
    run_hostaudit("collect", "--out", str(facts), "--docker-host", f"unix://{cri.base}/no-docker.sock",
                  "--containerd-state", f"{cri.state}/", "--cri-endpoint", f"unix://{cri.socket}")
    snapshot = json.loads(facts.read_text())
    assert [i["config"]["path"] for i in snapshot["containerd"]["instances"]] == [str(cri.base / "config.toml")]
    assert snapshot["containerd"]["state_dirs"] == [str(cri.state)]
    # the CRI facts survive the snapshot: audited offline, the pods keep their levels
    offline = json.loads(run_hostaudit("audit", "--facts", str(facts), "--format", "json").stdout)
    assert {p["name"]: p["pss"]["level"] for p in offline["pods"]}["hardened"] == "baseline"
    assert {c["name"]: c["state"] for c in offline["containers"]}[f"{NS}/web-7d9f8c6b5-x2x9z/never"] == "created"


def test_hostile_pod_labels_are_bounded_and_stay_text(report, cri_lab):
    hostile = _pod(report, "hostile")
    assert hostile["owner_kind"] == "Job" and len(hostile["owner_name"]) <= 1024
    done = run_hostaudit("audit", "--docker-host", f"unix://{cri_lab[0].base}/no-docker.sock",
                         "--containerd-state", str(cri_lab[0].state), "--cri-endpoint", f"unix://{cri_lab[0].socket}")
    assert f"{NS}/hostile (Job" in done.stdout
    assert "[/bold]?[31m<script>alert(1)</script>" in done.stdout  # escape replaced, markup printed as text
    assert "\x1b" not in done.stdout


def test_pod_level_security_context_is_what_kubelet_sent(report):
    context = _pod(report, "hostns")["security_context"]
    assert context["namespace_options"] == {"network": 2, "pid": 2, "ipc": 2}  # NODE for each
