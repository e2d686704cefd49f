"""Whose namespace a container joined: the pod sandbox, or the container whose `/proc/<pid>/ns/*` it names."""

from __future__ import annotations

import re
from typing import Any

from hostaudit.model import Container, Pod, Snapshot

from ._subjects import once_per_snapshot

# What a Kubernetes pod's containers share with its sandbox (the PID namespace only with shareProcessNamespace).
POD_SHARED = ("network", "ipc", "uts", "pid")
_PROC_NS = re.compile(r"^path:/proc/(\d+)/ns/\w+$")


@once_per_snapshot
def _sandboxes(facts: Snapshot) -> dict[tuple[str, str], Container]:
    """Pod sandbox tasks by (id, namespace), the first of each as the snapshot lists them."""
    found: dict[tuple[str, str], Container] = {}
    for c in facts.all_containers:
        if c.pod is not None and not c.pod.container_name:
            found.setdefault((c.id, c.namespace), c)
    return found


@once_per_snapshot
def _by_pid(facts: Snapshot) -> dict[int, list[Container]]:
    """Containers by init pid, in the snapshot's order."""
    found: dict[int, list[Container]] = {}
    for c in facts.all_containers:
        if c.pid is not None:
            found.setdefault(c.pid, []).append(c)
    return found


def sandbox_of(facts: Snapshot, ctr: Container) -> Container | None:
    """The sandbox (pause) task of a Kubernetes container's pod, when it was found."""
    if ctr.pod is None or not ctr.pod.container_name:
        return None
    return _sandboxes(facts).get((ctr.pod.sandbox_id, ctr.namespace))


def namespace_owner(facts: Snapshot, ctr: Container, kind: str) -> Container | None:
    """The container whose `kind` namespace `ctr` joined by path: the one whose pid the path names, else (for a
    Kubernetes container) its pod's sandbox."""
    declared = ctr.namespaces.get(kind, "")
    if not declared.startswith("path:"):
        return None
    match = _PROC_NS.match(declared)
    if match:
        owner = next((c for c in _by_pid(facts).get(int(match.group(1)), ()) if c.key != ctr.key), None)
        if owner is not None:
            return owner
    return sandbox_of(facts, ctr) if kind in POD_SHARED else None


def is_pod_namespace_file(declared: str) -> bool:
    """A namespace file CRI creates for a pod (its own, never the host's): /var/run/netns/cni-..., or under the CRI
    plugin's state dir with netns_mounts_under_state_dir."""
    path = declared.removeprefix("path:")
    return path.startswith(("/var/run/netns/cni-", "/run/netns/cni-")) or "/io.containerd.grpc.v1.cri/netns/" in path


def pod_of(facts: Snapshot, ctr: Container) -> Pod | None:
    """The Kubernetes pod a container runs in, when the node's pods were found."""
    if ctr.pod is None:
        return None
    return next((p for p in facts.pods if p.sandbox_id == ctr.pod.sandbox_id), None)


def pod_cgroup_limit(facts: Snapshot, ctr: Container, kind: str) -> tuple[bool, dict[str, Any]]:
    """Whether the container's pod cgroup holds a `kind` limit (pids, memory, cpu_quota), with the evidence: a
    container without a limit of its own is still bound by its pod's."""
    pod = pod_of(facts, ctr)
    if pod is None or kind not in pod.cgroup_limits:
        return False, {}
    value = pod.cgroup_limits[kind]
    return value is not None and value > 0, {f"pod_cgroup.{kind}": value, "pod_cgroup.path": pod.cgroup_parent}
