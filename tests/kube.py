"""Kubernetes objects for tests: workloads around a PodSpec, a strategic-merge patch applied the way the API server
merges lists (by their patch merge keys), and a strict check against the official API models (PyPI `kubernetes`)."""

from __future__ import annotations

import copy
from typing import Any

# list fields merged by key under strategic merge (k8s.io/api core/v1 patchMergeKey); other lists are replaced
MERGE_KEYS = {"containers": "name", "initContainers": "name", "ephemeralContainers": "name", "volumes": "name",
              "volumeMounts": "mountPath", "env": "name"}
API_VERSIONS = {"Deployment": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1", "ReplicaSet": "apps/v1",
                "Job": "batch/v1", "CronJob": "batch/v1", "Pod": "v1"}


def workload(kind: str, name: str, pod_spec: dict[str, Any]) -> dict[str, Any]:
    """A minimal valid `kind` object whose pods run `pod_spec`."""
    labels = {"app": name}
    template = {"metadata": {"labels": labels}, "spec": copy.deepcopy(pod_spec)}
    head = {"apiVersion": API_VERSIONS[kind], "kind": kind, "metadata": {"name": name, "namespace": "shop"}}
    if kind == "Pod":
        return {**head, "spec": template["spec"]}
    if kind == "Job":
        return {**head, "spec": {"template": template}}
    if kind == "CronJob":
        return {**head, "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": template}}}}
    return {**head, "spec": {"selector": {"matchLabels": labels}, "template": template}}


def pod_spec_of(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj["spec"]
    if obj["kind"] == "Pod":
        return spec
    if obj["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


def strategic_merge(target: Any, patch: Any, field: str = "") -> Any:
    """`patch` merged into a copy of `target`: maps recursively (a null deleting the key), keyed lists by their
    merge key (with `$patch: delete` removing an item), other values replaced."""
    if isinstance(target, dict) and isinstance(patch, dict):
        merged = copy.deepcopy(target)
        for key, value in patch.items():
            if value is None:  # a null deletes the field
                merged.pop(key, None)
            else:
                merged[key] = strategic_merge(merged.get(key), value, key) if key in merged else _plain(value)
        return merged
    if isinstance(target, list) and isinstance(patch, list) and field in MERGE_KEYS:
        key = MERGE_KEYS[field]
        merged = copy.deepcopy(target)
        for item in patch:
            index = next((i for i, old in enumerate(merged) if old.get(key) == item.get(key)), None)
            if item.get("$patch") == "delete":
                if index is not None:
                    del merged[index]
            elif index is None:
                merged.append(_plain(item))
            else:
                merged[index] = strategic_merge(merged[index], item)
        return merged
    return _plain(patch)


def _plain(value: Any) -> Any:
    """A patch value as it lands in the object (directives dropped)."""
    if isinstance(value, dict):  # a null for a field the object lacks has nothing to delete
        return {k: _plain(v) for k, v in value.items() if k != "$patch" and v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value if not (isinstance(v, dict) and v.get("$patch") == "delete")]
    return copy.deepcopy(value)


def check_model(obj: dict[str, Any]) -> Any:
    """Deserialize into the official model (V1Deployment, ...) and back: required fields are enforced by the model,
    and a misplaced or misspelled field is dropped by it, so the round trip must give back the same object."""
    from kubernetes.client import ApiClient

    spec = pod_spec_of(obj)
    volumes = {v["name"] for v in spec.get("volumes", ())}
    for item in spec.get("initContainers", []) + spec.get("containers", []):
        for mount in item.get("volumeMounts", ()):  # the API server refuses a mount of an undefined volume
            assert mount["name"] in volumes, f"{item['name']} mounts undefined volume {mount['name']}"
    api = ApiClient()
    model = api._ApiClient__deserialize(copy.deepcopy(obj), f"V1{obj['kind']}")
    back = api.sanitize_for_serialization(model)
    assert back == obj, f"{obj['kind']} does not survive the API model: {back} != {obj}"
    return model
