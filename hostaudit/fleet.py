"""`hostaudit fleet`: many hosts' JSON reports merged into one fleet JSON and one fleet HTML (hosts x checks).

A report that cannot be read, is not a valid hostaudit report (types, size, nesting depth), or whose Docker
endpoint could not be read stays in the fleet as a host "not audited" with a one-line reason, never silently
dropped or counted clean; so do hosts the fleet playbook could not audit (`not_audited`). A host is named by the
hostname in its report (its file name when the report has none); hosts with the same name are kept apart by
their file name.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

from hostaudit import report_file
from hostaudit.catalog import Severity
from hostaudit.inputs import load_json
from hostaudit.report import shown_status
from hostaudit.sanitize import bidi_escaped, html_data, json_value, script_json

FLEET_VERSION = 2
STATUSES = frozenset({"pass", "fail", "unknown", "not_applicable"})
SEVERITIES = tuple(s.value for s in Severity)  # worst first
# One cell of the matrix: the worst status over a check's subjects on that host.
CELL_ORDER = ("fail", "unknown", "waived", "pass", "not_applicable")


@dataclass
class HostEntry:
    name: str
    source: str
    file_name: str = ""
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
    engines: list[dict[str, Any]] = field(default_factory=list)  # each engine audited, its failing daemon findings

    @property
    def rank(self) -> tuple:
        """Sort key, worst first: unreadable hosts, then failing findings by severity, escapable containers."""
        return (self.error is None, *(-self.failing[s] for s in SEVERITIES), -len(self.escapable), self.name)


FAIL = "fail"
_CHECK_AND_STATUS = itemgetter("check_id", "status")
CELL_RANK = {status: rank for rank, status in enumerate(CELL_ORDER)}
MAX_WORKERS = 8  # processes reading reports at once (never more than the CPUs this process may use)
REPORTS_PER_WORKER = 4  # fewer reports than this per process: read them in this one


def _cell(finding: dict[str, Any]) -> str:
    return shown_status(str(finding.get("status")), finding.get("waiver"))


def _worse(a: str | None, b: str) -> str:
    if a is None:
        return b
    return min(a, b, key=lambda s: CELL_RANK.get(s, len(CELL_ORDER)))


class InvalidReport(ValueError):
    """A host report that is not a hostaudit JSON report; the message is one line."""


def _optional_str(data: dict[str, Any], key: str, where: str) -> None:
    if data.get(key) is not None and not isinstance(data[key], str):
        raise InvalidReport(f"{where}.{key} is not a string")


def _check_meta(meta: dict[str, Any], check_id: str) -> None:
    for key in ("title", "severity"):
        _optional_str(meta, key, f"the metadata of {check_id}")


def _results(findings: list[Any]) -> Counter[tuple[str, str]]:
    """How many findings have each (check id, status), counted at C speed; InvalidReport naming the first finding
    that is not an object with a check id string and a known status."""
    try:
        results = Counter(map(_CHECK_AND_STATUS, findings))
    except (TypeError, KeyError):  # a finding that is not an object, or lacks a key
        results = None
    if results is not None and all(isinstance(check_id, str) and isinstance(status, str) and status in STATUSES
                                   for check_id, status in results):
        return results
    for index, finding in enumerate(findings):
        if not isinstance(finding, dict) or not isinstance(finding.get("check_id"), str):
            raise InvalidReport(f"findings[{index}] has no check_id string")
        status = finding.get("status")
        if not isinstance(status, str) or status not in STATUSES:
            raise InvalidReport(f"findings[{index}] has an unknown status")
    raise AssertionError("unreachable: some finding was invalid")


def read_report(path: Path) -> tuple[dict[str, Any], Counter[tuple[str, str]]]:
    """A host report checked for size, nesting depth and the types the fleet reads (each finding's check id and
    status; the title and severity of each check once, from the version 2 table), or InvalidReport; with how many
    findings have each (check id, status)."""
    try:
        report = report_file.check(load_json(path, "report"))
    except ValueError as exc:
        raise InvalidReport(str(exc).removeprefix(f"report {path}: ")) from exc
    for key in ("host", "collectors"):
        if report.get(key) is not None and not isinstance(report[key], dict):
            raise InvalidReport(f"{key} is not an object")
    for key in ("containers", "escapes", "engines"):
        if report.get(key) is not None and not isinstance(report[key], list):
            raise InvalidReport(f"{key} is not a list")
    for key in ("hostname", "docker", "kernel", "docker_endpoint"):
        _optional_str(report.get("host") or {}, key, "host")
    for key in ("collected_at", "hostaudit_version"):
        _optional_str(report, key, "report")
    table = report.get("checks") if report["report_version"] >= 2 else None
    for check_id, meta in (report.get("checks") or {}).items():
        if not isinstance(meta, dict):
            raise InvalidReport(f"checks.{check_id} is not an object")
        if table is not None:
            _check_meta(meta, check_id)
    results = _results(report["findings"])
    if table is None:  # version 1: each finding carries its check's metadata
        for finding in report["findings"]:
            _check_meta(finding, finding["check_id"])
    for index, verdict in enumerate(report.get("escapes") or ()):
        if not isinstance(verdict, dict) or not isinstance(verdict.get("paths", []), list) or not isinstance(
                verdict.get("subject", {}), dict):
            raise InvalidReport(f"escapes[{index}] is not a verdict")
    return report, results


def _docker_unreadable(report: dict[str, Any]) -> str | None:
    """Why the host's Docker engines could not be read, when the report says so. A host is audited when every
    engine its report lists was read, whatever the default socket was; a report listing none (or an older report)
    is judged by its Docker endpoint."""
    engines = [e for e in report.get("engines") or () if isinstance(e, dict)]
    if engines:
        failed = [e for e in engines if e.get("error")]
        if not failed:
            return None
        first = failed[0]
        return (f"{len(failed)} of {len(engines)} Docker engines could not be read: "
                f"{str(first.get('endpoint'))[:200]}: {str(first.get('error'))[:300]}")
    status = (report.get("collectors") or {}).get("docker_daemon")
    if isinstance(status, dict) and status.get("state") in ("error", "skipped"):
        # skipped: no socket at the endpoint (a wrong docker_host looks exactly like a host without Docker)
        return f"the Docker endpoint could not be read: {str(status.get('message') or 'no reason given')[:300]}"
    return None


CheckTable = dict[str, dict[str, Any]]  # check id -> id, title, severity
MAX_ENGINES = 64  # engines of one host listed in the fleet; a report is another host's file
MAX_TEXT = 300


def _text(value: Any) -> str | None:
    return None if value is None else str(value)[:MAX_TEXT]


def _engine_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each engine the report lists, with how many of its own daemon findings fail (waived ones excluded)."""
    failing: Counter[str] = Counter()
    for finding in report["findings"]:
        subject = finding.get("subject")
        if finding["status"] == FAIL and not finding.get("waiver") and isinstance(subject, dict) \
                and subject.get("kind") == "daemon" and isinstance(subject.get("key"), str):
            failing[subject["key"]] += 1
    engines = [e for e in report.get("engines") or () if isinstance(e, dict)][:MAX_ENGINES]
    return [{"kind": _text(e.get("kind")), "endpoint": _text(e.get("endpoint")), "version": _text(e.get("version")),
             "owner": _text(e.get("owner")), "rootless": e.get("rootless") is True, "error": _text(e.get("error")),
             "failing": failing[e["subject"]] if isinstance(e.get("subject"), str) else 0} for e in engines]


def host_entry(path: Path) -> tuple[HostEntry, CheckTable]:
    """One host from its report file (its matrix row and counts: a few KB, whatever the report's size), and the
    id, title and severity of each check it ran."""
    stem = path.name.removesuffix(".json")
    entry, checks = HostEntry(name=stem, source=str(path), file_name=stem), {}
    try:
        report, results = read_report(path)
    except InvalidReport as exc:
        entry.error = f"{path.name}: {exc}"
        return entry, checks
    host = report.get("host") or {}
    entry.hostname, entry.docker, entry.kernel = host.get("hostname"), host.get("docker"), host.get("kernel")
    entry.name = entry.hostname or stem
    entry.collected_at, entry.hostaudit_version = report.get("collected_at"), report.get("hostaudit_version")
    entry.error = _docker_unreadable(report)
    if entry.error:
        return entry, checks
    entry.containers = len(report.get("containers") or ())
    entry.engines = _engine_rows(report)
    if report["report_version"] >= 2:
        _tally_by_check(report, results, entry, checks)
    else:
        _tally_each_finding(report, entry, checks)
    for verdict in report.get("escapes") or ():
        if verdict.get("verdict") == "escapable":
            entry.escapable.append({"container": str((verdict.get("subject") or {}).get("name")),
                                    "techniques": [str(p.get("technique")) for p in verdict.get("paths") or ()
                                                   if isinstance(p, dict)]})
    return entry, checks


def _tally_each_finding(report: dict[str, Any], entry: HostEntry, checks: CheckTable) -> None:
    """Cells and failing counts from a version 1 report, whose findings each carry a severity."""
    cells, failing = entry.cells, entry.failing
    for finding, meta in report_file.with_checks(report):
        check_id, severity = finding["check_id"], meta.get("severity")
        if check_id not in checks:
            checks[check_id] = {"id": check_id, "title": meta.get("title"), "severity": severity}
        cell, previous = _cell(finding), cells.get(check_id)
        if cell != previous:
            cells[check_id] = _worse(previous, cell)
        if cell == "fail" and severity in failing:
            failing[severity] += 1


def _tally_by_check(report: dict[str, Any], results: Counter[tuple[str, str]], entry: HostEntry,
                    checks: CheckTable) -> None:
    """Cells and failing counts from a version 2 report: its results counted per (check, status), its severities
    from the checks table (one per check), and `shown_status` once per check and status."""
    table = report["checks"]
    waived = Counter(f["check_id"] for f in report["findings"] if f["status"] == FAIL and f.get("waiver"))
    cells, failing = entry.cells, entry.failing
    for (check_id, status), count in results.items():
        if check_id not in checks:
            meta = table.get(check_id)
            meta = meta if isinstance(meta, dict) else {}
            checks[check_id] = {"id": check_id, "title": meta.get("title"), "severity": meta.get("severity")}
        shown = [shown_status(status, None)] if status != FAIL or count > waived[check_id] else []
        if status == FAIL and waived[check_id]:
            shown.append(shown_status(status, "waived"))
        for cell in shown:
            cells[check_id] = _worse(cells.get(check_id), cell)
        severity = checks[check_id]["severity"]
        if status == FAIL and severity in failing:
            failing[severity] += count - waived[check_id]


def _workers(reports: int) -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_WORKERS, reports // REPORTS_PER_WORKER))


def read_hosts(paths: list[Path]) -> Iterator[tuple[HostEntry, CheckTable]]:
    """`host_entry` of each path, in the order given, read by up to MAX_WORKERS processes; a report whose process
    ended without an answer (killed, out of memory) is that host "not audited", with the reason."""
    workers = _workers(len(paths))
    if workers == 1:
        yield from map(host_entry, paths)
        return
    with ProcessPoolExecutor(workers) as pool:
        futures = [pool.submit(host_entry, path) for path in paths]
        for path, future in zip(paths, futures, strict=True):
            try:
                yield future.result()
            except BrokenProcessPool as exc:
                stem = path.name.removesuffix(".json")
                yield HostEntry(name=stem, source=str(path), file_name=stem,
                                error=f"{path.name}: the process reading it ended ({exc})"), {}


def _keep_apart(hosts: list[HostEntry]) -> None:
    """Hosts sharing a name get their file name beside it (then their position), so none is merged into another."""
    for attempt in ("file", "index"):
        counts: dict[str, int] = {}
        for host in hosts:
            counts[host.name] = counts.get(host.name, 0) + 1
        for index, host in enumerate(hosts):
            if counts[host.name] > 1:
                host.name = f"{host.name} ({host.file_name})" if attempt == "file" else f"{host.name} #{index + 1}"


def merge(paths: list[Path], not_audited: dict[str, str] | None = None) -> dict[str, Any]:
    """The fleet document: hosts worst first, checks by severity then by how many hosts fail them, the matrix.
    `not_audited` names hosts that have no report at all (unreachable, failed) with the reason."""
    checks: CheckTable = {}
    entries = []
    for entry, seen in read_hosts(paths):
        entries.append(entry)
        for check_id, meta in seen.items():
            checks.setdefault(check_id, meta)  # the first host (in the order given) to run a check names it
    entries += [HostEntry(name=name, source="", file_name=name, error=reason)
                for name, reason in (not_audited or {}).items()]
    _keep_apart(entries)
    hosts = sorted(entries, key=lambda h: h.rank)
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
                    "escapable_containers": sum(len(h.escapable) for h in hosts),
                    "engines": sum(len(h.engines) for h in hosts),
                    "engines_failing": sum(1 for h in hosts for e in h.engines if e["failing"])},
        "hosts": [{"name": h.name, "source": h.source, "error": h.error, "hostname": h.hostname,
                   "collected_at": h.collected_at, "hostaudit_version": h.hostaudit_version, "docker": h.docker,
                   "kernel": h.kernel, "containers": h.containers, "failing": h.failing, "escapable": h.escapable,
                   "engines": h.engines}
                  for h in hosts],
        "checks": ordered,
        "matrix": {h.name: h.cells for h in hosts if not h.error},
    }


def render_json(fleet: dict[str, Any]) -> str:
    """The fleet as JSON, through the reports' JSON sink (`sanitize.json_value`, `bidi_escaped`): its names and
    messages come from other hosts' reports, which may hold lone surrogates, bidi marks or megabytes."""
    return bidi_escaped(json.dumps(json_value(fleet), indent=2, ensure_ascii=False, allow_nan=False)) + "\n"


CELL_LETTERS = {"fail": "f", "unknown": "u", "waived": "w", "pass": "p", "not_applicable": "n"}


def page_data(fleet: dict[str, Any]) -> dict[str, Any]:
    """What the fleet page's script renders: the checks once; each host one row whose matrix cells are one letter
    per check ("." not run); each escape technique's text once. Strings bounded, controls and bidi marks visible."""
    column = {check["id"]: index for index, check in enumerate(fleet["checks"])}
    techniques: dict[str, int] = {}
    hosts = []
    for host in fleet["hosts"]:
        cells = None
        if not host["error"]:
            letters = ["."] * len(column)
            for check_id, cell in fleet["matrix"][host["name"]].items():
                letters[column[check_id]] = CELL_LETTERS.get(cell, ".")
            cells = "".join(letters)
        escapable = [[escape["container"], [techniques.setdefault(t, len(techniques)) for t in escape["techniques"]]]
                     for escape in host["escapable"]]
        hosts.append([host["name"], host["error"], host["hostname"], host["docker"], host["kernel"],
                      host["collected_at"], host["containers"], [host["failing"][s] for s in SEVERITIES], cells,
                      escapable])
    return html_data({
        "severities": SEVERITIES, "cells": {letter: cell for cell, letter in CELL_LETTERS.items()},
        "checks": [[c["id"], c["title"], c["severity"], c["failing_hosts"]] for c in fleet["checks"]],
        "techniques": list(techniques), "hosts": hosts})


def render_html(fleet: dict[str, Any]) -> str:
    """One self-contained page (no network): the summary by autoescaped Jinja2, the hosts and checks as JSON data
    that the page's script shows filtered, a page of hosts at a time."""
    from importlib import resources

    from jinja2 import Environment, StrictUndefined
    from markupsafe import Markup

    from hostaudit.renderers.html import csp_hash, visible

    templates = resources.files("hostaudit.reports") / "templates"
    text = (templates / "fleet.html.j2").read_text(encoding="utf-8")
    script = (templates / "fleet.js").read_text(encoding="utf-8")
    env = Environment(autoescape=True, finalize=visible, undefined=StrictUndefined, trim_blocks=True,
                      lstrip_blocks=True)
    return env.from_string(text).render(
        fleet=fleet, severities=SEVERITIES,
        data=Markup(script_json(page_data(fleet))),  # <, >, & escaped: inert inside <script>
        script=Markup(script),  # our own package file, never report data
        csp=f"default-src 'none'; style-src 'unsafe-inline'; script-src {csp_hash(script)}")
