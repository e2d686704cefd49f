"""Pod patches that apply: each lands at its workload kind's pod template, survives the official Kubernetes API
models once applied, and brings the pod to the Pod Security Standards baseline or better."""

from __future__ import annotations

import pytest

from hostaudit import pss
from hostaudit.remediation.pods import pod_patches
from hostaudit.serde import to_jsonable
from tests.kube import check_model, pod_spec_of, strategic_merge, workload

IMAGE = "registry.example/app:1"


def container(name: str, **context) -> dict:
    found = {"name": name, "image": IMAGE}
    if context:
        found["securityContext"] = context
    return found


def host_path(volume: str, path: str, mount: str, name: str = "app") -> tuple[dict, dict]:
    return {"name": volume, "hostPath": {"path": path}}, {"name": volume, "mountPath": mount}


# (kind, owner name, pod spec): the weak pods of the issue
SOCKET_VOLUME, SOCKET_MOUNT = host_path("sock", "/run/containerd/containerd.sock", "/run/containerd/containerd.sock")
ROOT_VOLUME, ROOT_MOUNT = host_path("root", "/", "/host")
CASES = {
    "privileged-deployment": ("Deployment", "web", {"containers": [container("app", privileged=True)]}),
    "ptrace-daemonset": ("DaemonSet", "tracer", {"hostPID": True, "hostNetwork": True, "hostIPC": True, "containers": [
        container("tracer", capabilities={"add": ["SYS_PTRACE"]})]}),
    "host-root-statefulset": ("StatefulSet", "db", {"volumes": [ROOT_VOLUME], "containers": [
        {**container("db", seccompProfile={"type": "Unconfined"}), "volumeMounts": [ROOT_MOUNT]}]}),
    "socket-job": ("Job", "backup", {"restartPolicy": "Never", "volumes": [SOCKET_VOLUME], "containers": [
        {**container("agent"), "volumeMounts": [SOCKET_MOUNT]}]}),
    "weak-init-cronjob": ("CronJob", "report", {"restartPolicy": "OnFailure", "initContainers": [
        container("setup", capabilities={"add": ["NET_ADMIN", "SYS_ADMIN"]})], "containers": [container("run")]}),
    "mixed-replicaset": ("ReplicaSet", "mixed", {"containers": [
        container("weak", procMount="Unmasked", privileged=True),
        container("strong", runAsNonRoot=True, runAsUser=1000, allowPrivilegeEscalation=False,
                  capabilities={"drop": ["ALL"]}, seccompProfile={"type": "RuntimeDefault"})]}),
    "bare-pod": ("Pod", "", {"hostNetwork": True, "containers": [container("app", privileged=True)]}),
}


def _report_pod(case: str, kind: str, owner: str, spec: dict) -> dict:
    """The report's view of the pod: what the node would show for it (its PSS controls, host namespaces, mounts)."""
    security = to_jsonable(pss.from_pod_spec(spec))
    mounts = [{"container": c["name"], "host_path": v["hostPath"]["path"], "mount_path": m["mountPath"]}
              for c in spec.get("initContainers", []) + spec["containers"] for m in c.get("volumeMounts", ())
              for v in spec.get("volumes", ()) if v["name"] == m["name"] and "hostPath" in v]
    shared = [kind for field, kind in (("hostNetwork", "network"), ("hostPID", "pid"), ("hostIPC", "ipc"))
              if spec.get(field)]
    return {"namespace": "shop", "name": f"{case}-pod", "uid": "u", "state": "ready",
            "owner_kind": "" if kind == "Pod" else kind, "owner_name": owner, "host_namespaces": shared,
            "containers": [], "pss": security, "host_path_mounts": mounts,
            "init_containers": [c["name"] for c in spec.get("initContainers", [])]}


def _patch(case: str, runtime: str = "containerd 1.6.20~ds1", findings: tuple = ()) -> tuple[dict, dict]:
    kind, owner, spec = CASES[case]
    report = {"host": {"cri_runtime": runtime}, "pods": [_report_pod(case, kind, owner, spec)]}
    containers = {f["subject"]["key"]: {"key": f["subject"]["key"], "name": f"shop/{case}-pod/{f['_container']}",
                                        "pod": f"shop/{case}-pod"} for f in findings}
    (document,) = pod_patches(report, list(findings), containers)
    return document, workload(kind, owner or f"{case}-pod", spec)


def apply(document: dict, obj: dict) -> dict:
    """The patch merged, then the hostPath volumes it lists deleted, as the document tells the operator."""
    patched = strategic_merge(obj, document["patch"])
    spec = pod_spec_of(patched)
    gone = {m["host_path"] for m in document["remove_host_path_volumes"]}
    spec["volumes"] = [v for v in spec.get("volumes", []) if v.get("hostPath", {}).get("path") not in gone]
    if not spec["volumes"]:
        del spec["volumes"]
    return patched


@pytest.mark.parametrize("case", sorted(CASES))
def test_patch_applies_to_the_workload_and_reaches_the_baseline(case):
    document, obj = _patch(case)
    check_model(obj)  # the weak workload itself is a valid object
    assert pss.from_pod_spec(pod_spec_of(obj)).level == "privileged"
    patched = apply(document, obj)
    check_model(patched)  # every patched field exists where the patch put it
    after = pss.from_pod_spec(pod_spec_of(patched))
    assert after.level in ("baseline", "restricted"), [pss.describe(c) for c in after.failing]
    assert document["workload"]["kind"] == obj["kind"]


@pytest.mark.parametrize(("kind", "path"), [("Deployment", ["spec", "template", "spec"]),
                                            ("CronJob", ["spec", "jobTemplate", "spec", "template", "spec"]),
                                            ("Pod", ["spec"])])
def test_patch_sits_at_the_pod_template_path_of_its_kind(kind, path):
    case = next(c for c, (k, _, _) in CASES.items() if k == kind)
    patch = _patch(case)[0]["patch"]
    for key in path:
        assert list(patch) == [key]
        patch = patch[key]
    assert "containers" in patch


def test_privileged_container_gets_every_control_and_no_capability_back():
    document, _ = _patch("privileged-deployment")
    (app,) = pod_spec_of({"kind": "Deployment", **document["patch"]})["containers"]
    assert app["securityContext"]["privileged"] is False
    assert app["securityContext"]["allowPrivilegeEscalation"] is False
    assert app["securityContext"]["capabilities"] == {"drop": ["ALL"], "add": []}


def test_run_as_user_comes_with_run_as_group_and_non_root():
    key = "k8s:shop/privileged-deployment-pod/app"
    finding = {"check_id": "container.runs_as_root", "subject": {"key": key}, "_container": "app"}
    document, obj = _patch("privileged-deployment", findings=(finding,))
    context = pod_spec_of({"kind": "Deployment", **document["patch"]})["containers"][0]["securityContext"]
    assert (context["runAsNonRoot"], context["runAsUser"], context["runAsGroup"]) == (True, 10000, 10000)
    assert pss.from_pod_spec(pod_spec_of(apply(document, obj))).level == "restricted"


def test_every_socket_and_host_path_volume_is_named_and_unmounted():
    document, obj = _patch("socket-job")
    assert document["remove_host_path_volumes"] == [
        {"container": "agent", "mount_path": "/run/containerd/containerd.sock",
         "host_path": "/run/containerd/containerd.sock"}]
    spec = pod_spec_of(apply(document, obj))
    assert "volumes" not in spec and not spec["containers"][0].get("volumeMounts")


# containerd's docs/user-namespaces: Kubernetes 1.27+ pod user namespaces need containerd 2.0 or later (1.7 served only
# the 1.25/1.26 design; 1.6 and older silently ignore hostUsers: false); CRI-O from 1.25
@pytest.mark.parametrize(("runtime", "asked"), [("containerd 1.6.20~ds1", False), ("containerd 1.7.24", False),
                                                ("containerd 1.7.99", False), ("containerd 2.0", True),
                                                ("containerd 2.0.0", True), ("containerd 2.0.2", True),
                                                ("cri-o 1.24.1", False), ("cri-o 1.25.0", True),
                                                ("cri-o 1.30.0", True)])
def test_host_users_only_where_the_runtime_honours_it(runtime, asked):
    key = "k8s:shop/privileged-deployment-pod/app"
    finding = {"check_id": "container.host_userns", "subject": {"key": key}, "_container": "app"}
    document, obj = _patch("privileged-deployment", runtime=runtime, findings=(finding,))
    spec = pod_spec_of({"kind": "Deployment", **document["patch"]})
    assert ("hostUsers" in spec) is asked
    assert any("hostUsers" in note for note in document["notes"])
    if not asked:
        assert any("ignores it" in note or "cannot tell" in note for note in document["notes"])
    check_model(apply(document, obj))


def test_notes_and_patches_name_only_real_fields():
    key = "k8s:shop/ptrace-daemonset-pod/tracer"
    findings = tuple({"check_id": c, "subject": {"key": key}, "_container": "tracer"}
                     for c in ("container.host_uts", "container.host_cgroupns", "container.host_pid"))
    document, obj = _patch("ptrace-daemonset", findings=findings)
    text = repr(document)
    assert "hostUTS" not in text and "hostCGROUP" not in text
    spec = pod_spec_of({"kind": "DaemonSet", **document["patch"]})
    assert (spec["hostNetwork"], spec["hostPID"], spec["hostIPC"]) == (False, False, False)
    check_model(apply(document, obj))


def test_level_function_on_specs():
    """The level function against the PSS definitions (independent cases from the standard's text)."""
    restricted = {"containers": [container("a", runAsNonRoot=True, allowPrivilegeEscalation=False,
                                           capabilities={"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
                                           seccompProfile={"type": "RuntimeDefault"})]}
    assert pss.from_pod_spec(restricted).level == "restricted"
    baseline = {"containers": [container("a", capabilities={"add": ["CHOWN"]})]}
    assert pss.from_pod_spec(baseline).level == "baseline"
    for weak in ({"hostIPC": True, "containers": [container("a")]},
                 {"containers": [container("a", capabilities={"add": ["NET_RAW"]})]},
                 {"containers": [container("a", seccompProfile={"type": "Unconfined"})]},
                 {"containers": [container("a", appArmorProfile={"type": "Unconfined"})]},
                 {"initContainers": [container("i", privileged=True)], "containers": [container("a")]}):
        assert pss.from_pod_spec(weak).level == "privileged", weak


def test_no_remediation_text_names_a_pod_field_that_does_not_exist():
    import re

    from hostaudit import catalog

    for check in catalog.load().values():
        assert not re.search(r"\bhost(UTS|CGROUP|USER)\b", check.meta.remediation), check.meta.id
