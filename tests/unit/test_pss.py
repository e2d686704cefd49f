"""The Pod Security Standards level from a node's effective facts (hostaudit.pss.from_facts)."""

from __future__ import annotations

from hostaudit import catalog, engine, pss
from hostaudit.model import Status
from tests.unit.conftest import in_pod


def _level(snapshot) -> pss.PodSecurity:
    checks = catalog.load()
    results = engine.evaluate(snapshot, checks)
    by_subject: dict = {}
    for check_id, found in results.items():
        for result in found:
            by_subject.setdefault(result.subject.key, {})[check_id] = result
    (pod,) = [p for p in snapshot.pods if p.sandbox_id == "sandbox-1"]  # the pod `in_pod` made
    return pss.from_facts(snapshot, pod, by_subject)


def test_host_root_mount_is_a_host_path_volume(lab_snapshot):
    found = _level(in_pod(lab_snapshot, "host-root"))
    assert found.level == "privileged"
    assert ("hostPathVolumes", "host-root") in {(c.control, c.container) for c in found.failing}


def test_a_pod_without_its_cri_config_is_never_claimed_baseline(lab_snapshot):
    """Found without the CRI API, a hardened container's add list, AppArmor and SELinux options are not known."""
    found = _level(in_pod(lab_snapshot, "hardened"))
    assert (found.level, found.unproven) == ("privileged", "baseline"), [pss.describe(c) for c in found.failing]
    assert {"capabilities_baseline", "hostPorts", "sysctls"} <= {c.control for c in found.unknown}


def test_an_unknown_control_keeps_the_pod_from_its_level():
    unknown = pss.ControlResult("privileged", pss.BASELINE, Status.UNKNOWN, "app", "container.privileged: unknown")
    assert pss.level_of([unknown]).level == "privileged"
    later = pss.ControlResult("run_as_non_root", pss.RESTRICTED, Status.UNKNOWN, "app", "unknown")
    assert pss.level_of([later]).level == "baseline"


def test_runtime_managed_binds_are_not_host_paths():
    assert not pss.is_host_path("/var/lib/kubelet/pods/u/volumes/kubernetes.io~empty-dir/x", "bind")
    assert not pss.is_host_path("/run/containerd/io.containerd.grpc.v1.cri/sandboxes/x/shm", "bind")
    assert pss.is_host_path("/var/run/docker.sock", "bind") and not pss.is_host_path("proc", "proc")
