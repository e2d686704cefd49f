"""A self-contained HTML report: Jinja2 with autoescape, CSS and JS inlined from package files, no network."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from importlib import resources

from hostaudit.catalog import Severity
from hostaudit.pss import describe
from hostaudit.report import ContainerSummary, Finding, Report
from hostaudit.sanitize import html_text

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


def evidence_text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def visible(value: object) -> object:
    """Every printed value: control characters (ANSI escapes, NUL) shown as `\\xNN`; newlines and tabs kept."""
    if isinstance(value, str) and not hasattr(value, "__html__"):
        return html_text(value)
    return value


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def render(report: Report) -> str:
    from jinja2 import Environment, FunctionLoader, StrictUndefined
    from markupsafe import Markup

    env = Environment(loader=FunctionLoader(_template_text), autoescape=True, finalize=visible,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["evidence"] = evidence_text
    css, script = _template_text("report.css"), _template_text("report.js")
    subjects = sorted({(f.subject.key, f.subject.name) for f in report.findings}, key=lambda s: s[1])
    return env.get_template("report.html.j2").render(
        report=report,
        host=report.host,
        counts=report.counts(),
        statuses=report.status_counts(),
        chart=_chart(report.counts()),
        chart_width=CHART_WIDTH,
        severities=SEVERITIES,
        groups=_groups(report),
        subjects=subjects,
        new_failures=sum(1 for f in report.findings if f.failing and f.baseline == "new"),
        status_of=status_of,
        describe=describe,
        css=Markup(css),  # our own package files, never report data
        script=Markup(script),
        csp=f"default-src 'none'; style-src {_csp_hash(css)}; script-src {_csp_hash(script)}; img-src data:",
    )
