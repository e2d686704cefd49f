"""`hostaudit fleet`: many hosts' JSON reports merged into one fleet JSON and one fleet HTML (hosts x checks).

A report that cannot be read stays in the fleet as a host in error (red), never silently dropped. Hosts are named
after their report file (the fleet playbook fetches `<inventory_hostname>.json`), with the report's hostname beside.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hostaudit import report_file

FLEET_VERSION = 1
SEVERITIES = ("critical", "high", "medium", "low", "info")  # worst first
# One cell of the matrix: the worst status over a check's subjects on that host.
CELL_ORDER = ("fail", "unknown", "waived", "pass", "not_applicable")


@dataclass
class HostEntry:
    name: str
    source: str
    error: str | None = None
    hostname: str | None = None
    collected_at: str | None = None
    hostaudit_version: str | None = None
    docker: str | None = None
    kernel: str | None = None
    failing: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SEVERITIES, 0))
    cells: dict[str, str] = field(default_factory=dict)  # check id -> cell status
    escapable: list[dict[str, Any]] = field(default_factory=list)  # container name + techniques
    containers: int = 0

    @property
    def rank(self) -> tuple:
        """Sort key, worst first: unreadable hosts, then failing findings by severity, escapable containers."""
        return (self.error is None, *(-self.failing[s] for s in SEVERITIES), -len(self.escapable), self.name)


def _cell(finding: dict[str, Any]) -> str:
    status = str(finding.get("status"))
    return "waived" if status == "fail" and finding.get("waiver") else status


def _worse(a: str | None, b: str) -> str:
    if a is None:
        return b
    return min(a, b, key=lambda s: CELL_ORDER.index(s) if s in CELL_ORDER else len(CELL_ORDER))


def host_entry(path: Path, checks: dict[str, dict[str, Any]]) -> HostEntry:
    """One host from its report file; `checks` collects every check's id, title and severity across the fleet."""
    entry = HostEntry(name=path.name.removesuffix(".json"), source=str(path))
    try:
        report = report_file.check(json.loads(path.read_text()))
    except (OSError, ValueError) as exc:
        entry.error = f"{path.name}: {getattr(exc, 'strerror', None) or exc}"
        return entry
    host = report.get("host") if isinstance(report.get("host"), dict) else {}
    entry.hostname, entry.docker, entry.kernel = host.get("hostname"), host.get("docker"), host.get("kernel")
    entry.collected_at, entry.hostaudit_version = report.get("collected_at"), report.get("hostaudit_version")
    entry.containers = len(report.get("containers") or ())
    for finding, meta in report_file.with_checks(report):
        if "check_id" not in finding:
            continue
        check_id, severity = str(finding["check_id"]), meta.get("severity")
        if check_id not in checks:
            checks[check_id] = {"id": check_id, "title": meta.get("title"), "severity": severity}
        cell, previous = _cell(finding), entry.cells.get(check_id)
        if cell != previous:
            entry.cells[check_id] = _worse(previous, cell)
        if cell == "fail" and severity in entry.failing:
            entry.failing[severity] += 1
    for verdict in report.get("escapes") or ():
        if isinstance(verdict, dict) and verdict.get("verdict") == "escapable":
            entry.escapable.append({"container": (verdict.get("subject") or {}).get("name"),
                                    "techniques": [p.get("technique") for p in verdict.get("paths") or ()
                                                   if isinstance(p, dict)]})
    return entry


def merge(paths: list[Path]) -> dict[str, Any]:
    """The fleet document: hosts worst first, checks by severity then by how many hosts fail them, the matrix."""
    checks: dict[str, dict[str, Any]] = {}
    hosts = sorted((host_entry(p, checks) for p in paths), key=lambda h: h.rank)
    for check in checks.values():
        check["failing_hosts"] = sum(1 for h in hosts if h.cells.get(check["id"]) == "fail")
    ordered = sorted(checks.values(), key=lambda c: (
        SEVERITIES.index(c["severity"]) if c["severity"] in SEVERITIES else len(SEVERITIES),
        -c["failing_hosts"], c["id"]))
    return {
        "fleet_version": FLEET_VERSION,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "summary": {"hosts": len(hosts), "hosts_in_error": sum(1 for h in hosts if h.error),
                    "hosts_failing": sum(1 for h in hosts if any(h.failing.values())),
                    "escapable_containers": sum(len(h.escapable) for h in hosts)},
        "hosts": [{"name": h.name, "source": h.source, "error": h.error, "hostname": h.hostname,
                   "collected_at": h.collected_at, "hostaudit_version": h.hostaudit_version, "docker": h.docker,
                   "kernel": h.kernel, "containers": h.containers, "failing": h.failing, "escapable": h.escapable}
                  for h in hosts],
        "checks": ordered,
        "matrix": {h.name: h.cells for h in hosts},
    }


def render_json(fleet: dict[str, Any]) -> str:
    return json.dumps(fleet, indent=2, ensure_ascii=False) + "\n"


def render_html(fleet: dict[str, Any]) -> str:
    """One self-contained page (no network): autoescaped Jinja2, control characters made visible."""
    from importlib import resources

    from jinja2 import Environment, StrictUndefined

    from hostaudit.renderers.html import visible

    text = (resources.files("hostaudit.reports") / "templates" / "fleet.html.j2").read_text(encoding="utf-8")
    env = Environment(autoescape=True, finalize=visible, undefined=StrictUndefined, trim_blocks=True,
                      lstrip_blocks=True)
    return env.from_string(text).render(fleet=fleet, severities=SEVERITIES)
