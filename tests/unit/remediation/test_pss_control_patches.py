"""fix.pods.yml patches driven by the PSS controls of real CRI pods (the recorded snapshot of tests/pss_pods.py):
applied to the pod as written, each patch leaves no baseline control violated by the upstream definitions
(tests/pss_pods.baseline_violations, the oracle), and changes nothing for a pod that violates none."""

from __future__ import annotations

import pytest
from kubernetes.client import ApiClient

from hostaudit import catalog, engine, pss, report
from hostaudit.remediation.pods import pod_patches
from hostaudit.serde import to_jsonable
from tests.kube import strategic_merge
from tests.pss_pods import BASELINE_CONTROLS, CASES, NS, baseline_violations, pod_of
from tests.unit.conftest import load


@pytest.fixture(scope="module")
def report_pods() -> dict[str, dict]:
    snapshot = load("pss/cri-pods-one-control-each.json")
    summaries = report.pod_summaries(snapshot, engine.evaluate(snapshot, catalog.load()))
    return {p.name: to_jsonable(p) for p in summaries if p.namespace == NS}


def _spec(case, pod: dict) -> dict:
    """The case's PodSpec, its hostPath the one the recorded pod really mounted."""
    host_dir = next((m["host_path"] for m in pod["host_path_mounts"]), "/srv/data")
    return ApiClient().sanitize_for_serialization(pod_of(case, host_dir))["spec"]


def _baseline_failing(spec: dict) -> set[str]:
    return {c.control for c in pss.from_pod_spec(spec).failing if c.level == "baseline"}


def _patched(document: dict, spec: dict) -> dict:
    """The patch merged, then the hostPath volumes it lists removed, as the document tells the operator."""
    patched = strategic_merge(spec, document["patch"]["spec"])
    gone = {m["host_path"] for m in document["remove_host_path_volumes"]}
    patched["volumes"] = [v for v in patched.get("volumes") or () if v.get("hostPath", {}).get("path") not in gone]
    return patched


@pytest.mark.parametrize("case", [c for c in CASES if c.violates & BASELINE_CONTROLS], ids=lambda c: c.name)
def test_the_patch_of_a_baseline_violation_fixes_it(report_pods, case):
    pod = report_pods[case.name]
    spec = _spec(case, pod)
    assert baseline_violations(spec) == case.violates & BASELINE_CONTROLS  # the oracle agrees with the case
    assert _baseline_failing(spec) == baseline_violations(spec)  # hostaudit judges the spec as upstream does
    (document,) = pod_patches({"host": {"cri_runtime": "containerd 1.6.20"}, "pods": [pod]}, [], {})
    patched = _patched(document, spec)
    left = baseline_violations(patched)
    assert _baseline_failing(patched) == left
    if case.violates & {"hostPorts"}:  # the node does not say which container port: a note, not a patch
        assert left == {"hostPorts"} and any(n.startswith("hostPorts:") for n in document["notes"])
    else:
        assert left == set(), document


def test_a_pod_failing_no_control_gets_no_patch(report_pods):
    """The restricted pod: its only doubts are unknown controls, which a patch cannot answer."""
    assert report_pods["restricted"]["pss"]["failing"] == [] and report_pods["restricted"]["pss"]["unknown"]
    assert pod_patches({"host": {}, "pods": [report_pods["restricted"]]}, [], {}) == []


def test_a_report_with_the_earlier_control_names_still_gets_its_fixes():
    """Reports of the same report_version written before the upstream ids: `seccomp` is seccompProfile_baseline."""
    pod = {"namespace": "shop", "name": "p", "pss": {"level": "privileged", "failing": [
        {"control": "seccomp", "level": "baseline", "status": "fail", "container": "app", "evidence": "x"}]}}
    (document,) = pod_patches({"host": {}, "pods": [pod]}, [], {})
    (container,) = document["patch"]["spec"]["containers"]
    assert container["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
