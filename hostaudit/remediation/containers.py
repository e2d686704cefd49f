"""Container-level guidance from a JSON report: `docker run` changes per container, a securityContext patch per pod.

Nothing here touches a container: the operator changes the definition (run script, compose file, pod template).
Every string from the report stays data; the files are written by a YAML serializer.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from hostaudit.remediation.fixes import fix_for

SANDBOX = "(sandbox)"


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge `extra` into a copy of `base`; lists are unioned in order."""
    merged = dict(base)
    for key, value in extra.items():
        old = merged.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            merged[key] = _merge(old, value)
        elif isinstance(old, list) and isinstance(value, list):
            merged[key] = [*old, *(v for v in value if v not in old)]
        else:
            merged[key] = value
    return merged


def failing_container_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Failing, non-waived findings about a container."""
    return [f for f in report.get("findings") or () if isinstance(f, dict) and f.get("status") == "fail"
            and not f.get("waiver") and (f.get("subject") or {}).get("kind") == "container"]


def _host_paths(evidence: dict[str, Any]) -> list[dict[str, Any]]:
    """The host mounts a finding names: `mount.*` keys, or a `mounts` list."""
    mounts = evidence.get("mounts")
    if isinstance(mounts, list):
        return [m for m in mounts if isinstance(m, dict)]
    if "mount.destination" in evidence or "mount.source" in evidence:
        return [{"source": evidence.get("mount.source"), "destination": evidence.get("mount.destination")}]
    return []


def _naming_mounts(change: str, evidence: dict[str, Any]) -> str:
    """The change, naming the host mount it removes when the finding's evidence names one."""
    mounts = [f"{m.get('source')}:{m.get('destination')}" for m in _host_paths(evidence) if m.get("source")]
    return f"{change} ({', '.join(mounts)})" if mounts else change


def docker_guidance(findings: list[dict[str, Any]], containers: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Per container outside Kubernetes: the `docker run` flags to change, each with the check that asks for it."""
    changes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for finding in findings:
        fix = fix_for(finding.get("check_id", ""))
        changes[finding["subject"].get("key", "")].append({
            "check": finding.get("check_id"),
            "severity": finding.get("severity"),
            "change": _naming_mounts(fix.docker, finding.get("evidence") or {}) if fix else finding.get("remediation"),
            "evidence": finding.get("evidence") or {},
        })
    guidance = []
    for key, items in changes.items():
        container = containers.get(key, {})
        guidance.append({"container": container.get("name", key), "key": key, "source": container.get("source"),
                         "image": container.get("image"), "changes": items})
    return sorted(guidance, key=lambda g: str(g["key"]))


def _add_mount(remove: list[dict[str, Any]], container: str, check_id: str, mount: dict[str, Any]) -> None:
    """Record a hostPath mount to drop, once per container and mount path, naming every check that flags it."""
    for entry in remove:
        if entry["container"] == container and entry["mount_path"] == mount.get("destination"):
            entry["checks"].append(check_id)
            entry["host_path"] = entry["host_path"] or mount.get("source")
            return
    remove.append({"container": container, "mount_path": mount.get("destination"), "host_path": mount.get("source"),
                   "checks": [check_id]})


def _capabilities_to_keep(items: list[dict[str, Any]]) -> list[str]:
    """Capabilities the container adds today that no failing capability check flags."""
    added: set[str] = set()
    dropped: set[str] = set()
    for finding in items:
        beyond = (finding.get("evidence") or {}).get("capabilities.beyond_default")
        if isinstance(beyond, list):
            added |= {str(c).upper().removeprefix("CAP_") for c in beyond}
        fix = fix_for(finding.get("check_id", ""))
        if fix:
            dropped |= set(fix.drop_caps)
    return sorted(added - dropped)


def pod_patches(findings: list[dict[str, Any]], containers: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One document per pod: the spec/securityContext patch for its pod template, and the hostPath mounts to drop."""
    by_pod: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for finding in findings:
        container = containers.get(finding["subject"].get("key", ""), {})
        pod = container.get("pod")
        if pod:
            name = str(container.get("name", "")).removeprefix(f"{pod}/")
            by_pod[pod][name].append(finding)
    documents = []
    for pod, members in sorted(by_pod.items()):
        namespace, _, pod_name = pod.partition("/")
        spec: dict[str, Any] = {}
        pod_context: dict[str, Any] = {}
        patched, remove, notes, listed = [], [], [], []
        for name, items in sorted(members.items()):
            context: dict[str, Any] = {}
            for finding in items:
                check_id = finding.get("check_id", "")
                fix = fix_for(check_id)
                listed.append({"container": name, "check": check_id, "severity": finding.get("severity")})
                if fix is None:
                    notes.append({"container": name, "check": check_id, "remediation": finding.get("remediation")})
                    continue
                spec = _merge(spec, fix.pod_spec)
                pod_context = _merge(pod_context, fix.pod_context)
                context = _merge(context, fix.container_context)
                if fix.remove_host_path:
                    for mount in _host_paths(finding.get("evidence") or {}):
                        _add_mount(remove, name, check_id, mount)
                if not (fix.pod_spec or fix.pod_context or fix.container_context or fix.remove_host_path):
                    notes.append({"container": name, "check": check_id, "remediation": finding.get("remediation")})
            if "capabilities" in context:
                context["capabilities"] = {"drop": ["ALL"], "add": _capabilities_to_keep(items)}
            if context and name != SANDBOX:
                patched.append({"name": name, "securityContext": context})
        patch = dict(spec)
        if pod_context:
            patch["securityContext"] = pod_context
        if patched:
            patch["containers"] = patched
        documents.append({
            "workload": {"namespace": namespace, "pod": pod_name},
            "apply_to": "the pod template (spec.template.spec) of the workload that owns this pod; strategic-merge "
                        "patch, containers matched by name",
            "patch": patch,
            "remove_host_path_volumes": remove,
            "notes": notes,
            "findings": listed,
        })
    return documents
