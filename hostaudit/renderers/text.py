"""The terminal report: summary first, then escape paths, then what failed, worst first."""

from __future__ import annotations

import io

from hostaudit.model import Status
from hostaudit.pss import describe
from hostaudit.report import Finding, Report
from hostaudit.sanitize import terminal as clean

SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}
def _evidence(finding: Finding, limit: int = 160) -> str:
    text = ", ".join(f"{k}={v}" for k, v in finding.evidence.items())
    return clean(text if len(text) <= limit else text[: limit - 1] + "…")


PSS_STYLE = {"privileged": "bold red", "baseline": "yellow", "restricted": "green"}


def render(report: Report, color: bool = False, verbose: bool = False) -> str:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=140, highlight=False)
    host = report.host
    console.print(Text(f"hostaudit {clean(report.hostaudit_version)} — {clean(host.get('hostname'))}, kernel "
                       f"{clean(host.get('kernel'))}, docker {clean(host.get('docker') or 'n/a')}, containerd "
                       f"{clean(host.get('containerd') or 'n/a')}", style="bold"))
    if report.cve_data is not None:
        console.print(Text(report.cve_data.note, style="bold yellow" if report.cve_data.stale else "dim"))
    escapable = report.escapable
    console.print(Text(report.headline,
                       style="bold red" if escapable else "bold green"))
    for verdict in escapable:
        console.print(Text(f"  {clean(verdict.subject.name)}: ", style="bold")
                      + Text("; ".join(clean(p.technique) for p in verdict.paths if p.kind == "direct")))
    if report.pods:
        below = [p for p in report.pods if p.pss.level == "privileged"]
        unproven = len([p for p in below if p.pss.unproven])
        doubt = f" ({unproven} of them only not proven: controls unknown)" if unproven else ""
        console.print(Text(f"{len(below)} of {len(report.pods)} pods not proven at the Pod Security Standards "
                           f"baseline{doubt}", style="bold red" if below else "bold green"))
        for pod in report.pods:
            owner = f" ({clean(pod.owner_kind)} {clean(pod.owner_name)})" if pod.owner_kind else ""
            failing = "; ".join(clean(describe(c)) for c in pod.pss.failing[:6])
            more = f" (+{len(pod.pss.failing) - 6} more)" if len(pod.pss.failing) > 6 else ""
            console.print(Text(f"  {clean(pod.namespace)}/{clean(pod.name)}{owner}: ", style="bold")
                          + Text(pod.pss.level, style=PSS_STYLE[pod.pss.level])
                          + Text(f" — fails {failing}{more}" if failing else "")
                          + Text(f" — {pod.pss.unproven} unproven: " + "; ".join(
                              clean(describe(c)) for c in pod.pss.unknown if c.level == pod.pss.unproven)[:400]
                                 if pod.pss.unproven else ""))
    counts = report.counts()
    line = Text("failing: ")
    for severity, count in counts.items():
        line.append(f"{severity} {count}  ", style=SEVERITY_STYLE[severity] if count else "dim")
    statuses = report.status_counts()
    line.append(f"| pass {statuses['pass']}, unknown {statuses['unknown']}, waived {statuses['waived']}, "
                f"n/a {statuses['not_applicable']}")
    console.print(line)
    new = sum(1 for f in report.findings if f.failing and f.baseline == "new")
    if new or report.resolved or any(f.baseline for f in report.findings):
        console.print(Text(f"since the baseline: {new} new failing, {len(report.resolved)} resolved",
                           style="bold" if new else ""))
    for note in report.notes:
        console.print(Text(f"note: {clean(note)}", style="yellow"))
    shown = [f for f in report.findings if f.status is Status.FAIL or (verbose and f.status is Status.UNKNOWN)]
    if shown:
        table = Table(show_header=True, header_style="bold", expand=False, show_lines=False)
        for column in ("severity", "check", "subject", "evidence"):
            table.add_column(column, overflow="fold")
        for group_index, group in enumerate(_grouped(shown)):
            if group_index:
                table.add_section()
            for finding in group:
                _add_row(table, finding)
        console.print(table)
    return buffer.getvalue()


def _grouped(findings: list[Finding]) -> list[list[Finding]]:
    """Findings of one subject together, and the containers of one pod together; the worst group first."""
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(f"pod:{finding.subject.pod}" if finding.subject.pod else finding.subject.key,
                          []).append(finding)
    ordered = sorted(groups.values(), key=lambda group: -max(f.severity.rank for f in group))  # stable: report order
    return [sorted(group, key=lambda f: (f.subject.key, -f.severity.rank, f.check_id)) for group in ordered]


def _add_row(table, finding: Finding) -> None:
    from rich.text import Text

    severity = finding.severity.value if finding.status is Status.FAIL else "unknown"
    if finding.waiver:
        severity += " (waived)"
    elif finding.baseline == "new":
        severity += " (new)"
    table.add_row(Text(severity, style=SEVERITY_STYLE.get(finding.severity.value, "")),
                  Text(clean(finding.check_id)), Text(clean(finding.subject.name)), Text(_evidence(finding)))
