"""Container-level guidance from a JSON report: the `docker run` changes per container (pods: see `pods`).

Nothing here touches a container: the operator changes the definition (run script, compose file, pod template).
Every string from the report stays data; the files are written by a YAML serializer.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from hostaudit.evidence import MOUNT_DESTINATION, MOUNT_SOURCE
from hostaudit.model import Status
from hostaudit.remediation.fixes import CAP_CHECK_PREFIX
from hostaudit.report import shown_status

PRIVILEGED = "container.privileged"
CAPABILITIES_ADDED = "container.capabilities_added"


def failing_container_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Failing, non-waived findings about a container."""
    return [f for f in report.get("findings") or () if isinstance(f, dict)
            and shown_status(str(f.get("status")), f.get("waiver")) == Status.FAIL.value
            and (f.get("subject") or {}).get("kind") == "container"]


def _naming_mount(change: object, evidence: dict[str, Any]) -> object:
    """The change, naming the host mount it removes when the finding's evidence names one."""
    source = MOUNT_SOURCE.read(evidence)
    if not isinstance(change, str) or source is None:
        return change
    return f"{change} ({source}:{evidence.get(MOUNT_DESTINATION.name)})"


def docker_guidance(findings: list[dict[str, Any]], containers: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Per container outside Kubernetes: the changes its failing checks ask for, each in the check's own words.
    On a container run with --privileged, capability checks are not listed one by one (the flag that granted them
    is --privileged, not --cap-add): they are named under the privileged change, to re-audit after removing it."""
    by_container: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for finding in findings:
        by_container[finding["subject"].get("key", "")].append(finding)
    guidance = []
    for key, items in by_container.items():
        privileged = any(f.get("check_id") == PRIVILEGED for f in items)
        granted = [f for f in items if privileged and _is_capability_check(str(f.get("check_id", "")))]
        changes = []
        for finding in items:
            if finding in granted:
                continue
            evidence = finding.get("evidence") or {}
            change = {"check": finding.get("check_id"), "severity": finding.get("severity"),
                      "change": _naming_mount(finding.get("remediation"), evidence), "evidence": evidence}
            if finding.get("check_id") == PRIVILEGED and granted:
                change["also_granted_by_privileged"] = sorted({str(f.get("check_id")) for f in granted})
            changes.append(change)
        container = containers.get(key, {})
        guidance.append({"container": container.get("name", key), "key": key, "source": container.get("source"),
                         "image": container.get("image"), "changes": changes})
    return sorted(guidance, key=lambda g: str(g["key"]))


def _is_capability_check(check_id: str) -> bool:
    return check_id.startswith(CAP_CHECK_PREFIX) or check_id == CAPABILITIES_ADDED
