"""Container-level guidance from a JSON report: the `docker run` changes per container (pods: see `pods`).

Nothing here touches a container: the operator changes the definition (run script, compose file, pod template).
Every string from the report stays data; the files are written by a YAML serializer.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from hostaudit.remediation.fixes import fix_for


def failing_container_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Failing, non-waived findings about a container."""
    return [f for f in report.get("findings") or () if isinstance(f, dict) and f.get("status") == "fail"
            and not f.get("waiver") and (f.get("subject") or {}).get("kind") == "container"]


def docker_guidance(findings: list[dict[str, Any]], containers: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Per container outside Kubernetes: the `docker run` flags to change, each with the check that asks for it."""
    changes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for finding in findings:
        fix = fix_for(finding.get("check_id", ""))
        changes[finding["subject"].get("key", "")].append({
            "check": finding.get("check_id"),
            "severity": finding.get("severity"),
            "change": fix.docker if fix else finding.get("remediation"),
            "evidence": finding.get("evidence") or {},
        })
    guidance = []
    for key, items in changes.items():
        container = containers.get(key, {})
        guidance.append({"container": container.get("name", key), "key": key, "source": container.get("source"),
                         "image": container.get("image"), "changes": items})
    return sorted(guidance, key=lambda g: str(g["key"]))
