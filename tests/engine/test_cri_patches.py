"""The pod patches of `hostaudit remediate`, applied to real workloads' pod specs and re-planted through CRI the way
kubelet would run them, re-audited: every patched pod is at the Pod Security Standards baseline or better."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from tests.cri_lab import PrivateCri, cni_available, from_pod_spec, has_cri_client
from tests.kube import check_model, pod_spec_of, strategic_merge, workload
from tests.lab import lab_dir, run_hostaudit

pytestmark = pytest.mark.skipif(not has_cri_client() or not cni_available(),
                                reason="needs containerd, the CRI client and the CNI plugins")

NS = "patch-lab"
IMAGE = "docker.io/hostaudit-lab/busybox:1"
HARDENED = {"runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000, "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"}}


def ctr(name: str, **context) -> dict:
    return {"name": name, "image": IMAGE, **({"securityContext": context} if context else {})}


# pod name -> (kind, owner, the pod labels its controller sets, pod spec)
WORKLOADS = {
    "web-5d8f7c9b4-qx7zt": ("Deployment", "web", {"pod-template-hash": "5d8f7c9b4"},
                            {"containers": [ctr("app", privileged=True)]}),
    "tracer-x8k2p": ("DaemonSet", "tracer", {"controller-revision-hash": "7b9c", "pod-template-generation": "1"},
                     {"hostNetwork": True, "hostPID": True, "hostIPC": True,
                      "containers": [ctr("tracer", capabilities={"add": ["SYS_PTRACE"]})]}),
    "db-0": ("StatefulSet", "db", {"controller-revision-hash": "db-5c9f", "statefulset.kubernetes.io/pod-name": "db-0"},
             {"volumes": [{"name": "root", "hostPath": {"path": "/"}}],
              "containers": [{**ctr("db"), "volumeMounts": [{"name": "root", "mountPath": "/host"}]}]}),
    "report-29400000-abcde": ("CronJob", "report", {"job-name": "report-29400000"},
                              {"restartPolicy": "OnFailure", "initContainers": [
                                  ctr("setup", capabilities={"add": ["SYS_ADMIN"]})], "containers": [ctr("run")]}),
    "mixed": ("Pod", "", {}, {"containers": [ctr("weak", procMount="Unmasked"), ctr("strong", **HARDENED)]}),
}


def socket_workload(cri: PrivateCri) -> tuple:
    return ("Job", "backup", {"job-name": "backup"}, {
        "restartPolicy": "Never", "volumes": [{"name": "sock", "hostPath": {"path": str(cri.socket)}}],
        "containers": [{**ctr("agent", **HARDENED), "volumeMounts": [{"name": "sock",
                                                                    "mountPath": "/run/containerd/containerd.sock"}]}]})


def audit(cri: PrivateCri, out) -> dict:
    run_hostaudit("audit", "--format", "json", "--output", str(out), "--docker-host",
                  f"unix://{cri.base}/no-docker.sock", "--containerd-state", str(cri.state),
                  "--cri-endpoint", f"unix://{cri.socket}")
    return json.loads(out.read_text())


def plant(cri: PrivateCri, workloads: dict) -> dict[str, str]:
    sandboxes = {}
    for pod_name, (_kind, _owner, labels, spec) in workloads.items():
        pod, containers = from_pod_spec(NS, pod_name, spec, labels)
        sandboxes[pod_name] = cri.run_pod(pod, containers)["(sandbox)"]
    return sandboxes


def levels(report: dict) -> dict[str, str]:
    return {p["name"]: p["pss"]["level"] for p in report["pods"] if p["namespace"] == NS}


@pytest.fixture(scope="module")
def rounds(tmp_path_factory):
    """Plant the weak workloads, audit, remediate, apply each patch to its workload, re-plant, re-audit."""
    tmp = tmp_path_factory.mktemp("patches")
    cri = PrivateCri(lab_dir("hapatch-"))
    try:
        cri.start()
        workloads = {**WORKLOADS, "backup-7xk9q": socket_workload(cri)}
        sandboxes = plant(cri, workloads)
        before = audit(cri, tmp / "before.json")
        run_hostaudit("remediate", "--from", str(tmp / "before.json"), "--out", str(tmp / "fix.yml"),
                      check_codes=(0,))
        documents = {d["workload"]["pod"]: d for d in yaml.safe_load_all((tmp / "fix.pods.yml").read_text()) if d}
        patched = {}
        for pod_name, (kind, owner, labels, spec) in workloads.items():
            document = documents[pod_name]
            obj = strategic_merge(workload(kind, owner or pod_name, spec), document["patch"])
            gone = {m["host_path"] for m in document["remove_host_path_volumes"]}
            new_spec = pod_spec_of(obj)
            new_spec["volumes"] = [v for v in new_spec.get("volumes", [])
                                   if v.get("hostPath", {}).get("path") not in gone]
            if not new_spec["volumes"]:
                del new_spec["volumes"]
            check_model(obj)
            patched[pod_name] = (kind, owner, labels, new_spec)
            cri.remove_pod(sandboxes[pod_name])
        plant(cri, patched)
        after = audit(cri, tmp / "after.json")
        yield before, documents, after, workloads
    finally:
        cri.stop()
        shutil.rmtree(cri.base, ignore_errors=True)


def test_every_weak_pod_is_below_the_baseline_before(rounds):
    before, _documents, _after, workloads = rounds
    assert levels(before) == dict.fromkeys(workloads, "privileged")


def test_one_patch_per_workload_at_its_kind(rounds):
    _before, documents, _after, workloads = rounds
    for pod_name, (kind, owner, _labels, _spec) in workloads.items():
        assert documents[pod_name]["workload"]["kind"] == kind
        assert documents[pod_name]["workload"]["name"] == (owner or pod_name)
    assert "initContainers" in pod_spec_of({"kind": "CronJob", **documents["report-29400000-abcde"]["patch"]})


def test_patched_pods_reach_the_baseline_on_the_node(rounds):
    _before, _documents, after, workloads = rounds
    found = levels(after)
    for pod_name in workloads:
        pod = next(p for p in after["pods"] if p["namespace"] == NS and p["name"] == pod_name)
        assert found[pod_name] in ("baseline", "restricted"), (pod_name, pod["pss"])
    escapable = [v["subject"]["name"] for v in after["escapes"]
                 if v["verdict"] == "escapable" and v["subject"]["name"].startswith(f"{NS}/")]
    assert not escapable
