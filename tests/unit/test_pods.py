"""Pods from containerd tasks: grouping, and pod-level namespaces applied to every container of the pod."""

import dataclasses

from hostaudit import engine
from hostaudit.collectors.containerd import group_pods
from hostaudit.model import Status
from hostaudit.renderers import json as json_renderer
from tests.unit.conftest import results_by_subject


def _without_proc(snapshot, *keys):
    return dataclasses.replace(snapshot, runtime={k: v for k, v in snapshot.runtime.items() if k not in keys})


def test_tasks_are_grouped_into_pods_with_the_sandbox_host_namespaces(lab_snapshot):
    pods = {f"{p.namespace}/{p.name}": p for p in group_pods(list(lab_snapshot.containerd.containers))}
    assert set(pods) == {"shop/risky", "shop/locked"}
    risky = pods["shop/risky"]
    assert risky.containers == ("k8s:shop/risky/app",)
    assert risky.sandbox_key == "k8s:shop/risky/(sandbox)"
    assert risky.host_namespaces == ("network",)
    assert pods["shop/locked"].host_namespaces == ()


def test_pod_container_without_proc_shares_what_its_sandbox_has(lab_snapshot):
    snapshot = _without_proc(lab_snapshot, "k8s:shop/risky/app", "k8s:shop/locked/web")
    results = results_by_subject("container.host_network", snapshot)
    risky = results["shop/risky/app"]
    assert risky.status is Status.FAIL
    assert risky.evidence["namespaces.network.declared"].startswith("path:/proc/")
    assert risky.evidence["namespaces.network.joins"] == "shop/risky/(sandbox)"
    assert results["shop/locked/web"].status is Status.PASS
    assert results["shop/locked/web"].evidence["joined.namespaces.network.effective"].startswith("net:[")


def test_sandbox_with_no_network_entry_is_host_network_even_when_neither_proc_is_readable(lab_snapshot):
    snapshot = _without_proc(lab_snapshot, "k8s:shop/risky/app", "k8s:shop/risky/(sandbox)")
    result = results_by_subject("container.host_network", snapshot)["shop/risky/app"]
    assert result.status is Status.FAIL
    assert result.evidence["joined.namespaces.network.declared"] == "host"


def test_container_on_a_cri_netns_file_is_not_on_the_host_network(lab_snapshot):
    containers = tuple(
        dataclasses.replace(c, namespaces={**c.namespaces, "network": "path:/var/run/netns/cni-1234"},
                            pod=dataclasses.replace(c.pod, sandbox_id="gone"))
        if c.name == "shop/locked/web" else c for c in lab_snapshot.containerd.containers)
    snapshot = _without_proc(dataclasses.replace(
        lab_snapshot, containerd=dataclasses.replace(lab_snapshot.containerd, containers=containers)),
        "k8s:shop/locked/web")
    assert results_by_subject("container.host_network", snapshot)["shop/locked/web"].status is Status.PASS


def test_sandboxes_are_not_subjects_and_findings_carry_their_pod(lab_snapshot):
    document = json_renderer.document(engine.audit(lab_snapshot, only=("container.host_network",)))
    subjects = {f["subject"]["name"]: f["subject"] for f in document["findings"]}
    assert subjects["shop/risky/app"]["pod"] == "shop/risky"
    assert "pod" not in subjects["hardened"]  # left out when there is none
    assert not [name for name in subjects if name.endswith("(sandbox)")]


def test_sandboxes_are_folded_into_their_pods_and_never_counted(lab_snapshot):
    """Issue 12: pause containers were counted in "N of M containers" (17 counted where 9 workloads ran)."""
    from hostaudit import engine

    report = engine.audit(lab_snapshot)
    sandboxes = [c for c in lab_snapshot.all_containers if c.is_sandbox]
    assert sandboxes
    assert not {c.key for c in sandboxes} & {c.key for c in report.containers}
    assert len(report.containers) == len(lab_snapshot.all_containers) - len(sandboxes)
    assert report.pod_count == len(group_pods(list(lab_snapshot.containerd.containers))) == 2
    assert report.headline.endswith(f"of {len(report.containers)} containers (in {report.pod_count} pods) can escape "
                                    "to the host")
