"""A self-contained HTML report: Jinja2 with autoescape, CSS and JS inlined from package files, no network.

The summary and escape paths are HTML; the findings are JSON data inside the page that its script renders on demand
(filtered, a page at a time, passing results counted per check), so the file grows by what the results say."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from importlib import resources

from hostaudit.catalog import Severity
from hostaudit.pss import describe
from hostaudit.report import ContainerSummary, Finding, Report
from hostaudit.sanitize import html_data, html_text, json_value, script_json
from hostaudit.serde import to_jsonable

TEMPLATES = "templates"
SEVERITIES = [s.value for s in Severity]  # worst first
CHART_WIDTH = 260


@dataclass
class Group:
    """Findings shown together: the host, the daemon, one container, or the containers of one pod."""

    key: str
    kind: str  # host, daemon, container, pod, source
    title: str
    subtitle: str = ""
    findings: list[Finding] = field(default_factory=list)

    @property
    def worst(self) -> int:
        return max((f.severity.rank for f in self.findings if f.failing), default=-1)

    @property
    def failing(self) -> int:
        return sum(1 for f in self.findings if f.failing)


def _template_text(name: str) -> str:
    return (resources.files("hostaudit.reports") / TEMPLATES / name).read_text(encoding="utf-8")


def _groups(report: Report) -> list[Group]:
    containers: dict[str, ContainerSummary] = {c.key: c for c in report.containers}
    groups: dict[str, Group] = {}
    for finding in report.findings:
        subject = finding.subject
        container = containers.get(subject.key)
        if container is not None and container.pod:
            key, group = f"pod:{container.pod}", Group(f"pod:{container.pod}", "pod", container.pod, "pod")
        elif container is not None:
            subtitle = f"{container.source} · {container.state} · {container.image or 'no image'}"
            key, group = subject.key, Group(subject.key, "container", container.name, subtitle)
        else:
            key, group = subject.key, Group(subject.key, subject.kind, subject.name, subject.kind)
        groups.setdefault(key, group).findings.append(finding)
    order = {"host": 0, "daemon": 1, "source": 2}
    return sorted(groups.values(), key=lambda g: (order.get(g.kind, 3), -g.worst, -g.failing, g.title))


def _chart(counts: dict[str, int]) -> list[dict[str, object]]:
    top = max(counts.values(), default=0) or 1
    return [{"severity": s, "count": counts[s], "y": i * 24, "width": round(CHART_WIDTH * counts[s] / top)}
            for i, s in enumerate(SEVERITIES)]


def status_of(finding: Finding) -> str:
    """The status a reader filters by: a waived failure is `waived`."""
    return finding.shown_status


def visible(value: object) -> object:
    """Every printed value: control characters (ANSI escapes, NUL) shown as `\\xNN`; newlines and tabs kept."""
    if isinstance(value, str) and not hasattr(value, "__html__"):
        return html_text(value)
    return value


def data(report: Report) -> dict[str, object]:
    """What the page's script renders the findings from: checks, groups and subjects once each; each finding a row
    `[check id, subject index, status, evidence index, detail, waiver, baseline]`, equal evidence stored once."""
    checks: dict[str, dict[str, object]] = {}
    groups: list[dict[str, str]] = []
    subjects: dict[str, int] = {}
    subject_rows: list[list[object]] = []
    evidence: dict[str, int] = {}
    rows: list[list[object]] = []
    for group in _groups(report):
        groups.append({"key": group.key, "kind": group.kind, "title": group.title, "subtitle": group.subtitle})
        for f in group.findings:
            if f.check_id not in checks:
                checks[f.check_id] = {"title": f.title, "severity": f.severity.value, "rank": f.severity.rank,
                                      "cis": list(f.cis), "references": list(f.references),
                                      "rationale": f.rationale, "remediation": f.remediation}
            if f.subject.key not in subjects:
                subjects[f.subject.key] = len(subject_rows)
                subject_rows.append([f.subject.key, f.subject.name, len(groups) - 1])
            shown = json.dumps(json_value(to_jsonable(f.evidence)), ensure_ascii=False, sort_keys=True,
                               separators=(",", ":"))
            rows.append([f.check_id, subjects[f.subject.key], status_of(f), evidence.setdefault(shown, len(evidence)),
                         f.detail, f.waiver, f.baseline])
    return html_data({
        "checks": checks, "groups": groups, "subjects": subject_rows,
        "evidence": [json.loads(text) for text in evidence], "findings": rows})


def csp_hash(text: str) -> str:
    """A Content-Security-Policy source that allows exactly this inline script or style."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def render(report: Report) -> str:
    from jinja2 import Environment, FunctionLoader, StrictUndefined
    from markupsafe import Markup

    env = Environment(loader=FunctionLoader(_template_text), autoescape=True, finalize=visible,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    css, script = _template_text("report.css"), _template_text("report.js")
    return env.get_template("report.html.j2").render(
        report=report,
        host=report.host,
        counts=report.counts(),
        statuses=report.status_counts(),
        chart=_chart(report.counts()),
        chart_width=CHART_WIDTH,
        severities=SEVERITIES,
        findings=Markup(script_json(data(report))),  # JSON with <, >, & escaped: inert inside <script>
        new_failures=sum(1 for f in report.findings if f.failing and f.baseline == "new"),
        describe=describe,
        css=Markup(css),  # our own package files, never report data
        script=Markup(script),
        csp=f"default-src 'none'; style-src {csp_hash(css)}; script-src {csp_hash(script)}; img-src data:",
    )
