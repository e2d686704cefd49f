"""A node_exporter textfile-collector file: the audit's counts as Prometheus metrics, for scheduled runs."""

from __future__ import annotations

import datetime as dt

from hostaudit import cves
from hostaudit.model import CollectorState
from hostaudit.report import Report
from hostaudit.sanitize import prometheus_label as label_value


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def metric(name: str, kind: str, help_text: str, samples: list[tuple[dict[str, str], float]]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        rendered = ",".join(f'{key}="{label_value(val)}"' for key, val in labels.items())
        lines.append(f"{name}{{{rendered}}} {_number(value)}" if rendered else f"{name} {_number(value)}")
    return lines


def _timestamp(iso: str) -> float:
    """Unix time of an ISO date or date-time (UTC when it names no zone); 0 when unreadable."""
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return 0.0
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()


def render(report: Report) -> str:
    lines = []
    lines += metric("hostaudit_findings", "gauge", "Failing findings (waived ones excluded) by severity.",
                     [({"severity": severity}, count) for severity, count in report.counts().items()])
    lines += metric("hostaudit_escapable_containers", "gauge", "Containers with at least one escape path to the host.",
                     [({}, len(report.escapable))])
    lines += metric("hostaudit_containers", "gauge", "Containers audited (Docker and containerd).",
                     [({}, len(report.containers))])
    if report.duration_s is not None:
        lines += metric("hostaudit_audit_duration_seconds", "gauge", "Wall time of the last audit.",
                         [({}, report.duration_s)])
    lines += metric("hostaudit_last_success_timestamp_seconds", "gauge",
                     "Unix time when the last completed audit collected its facts.",
                     [({}, _timestamp(report.collected_at))])
    if report.cve_data is not None and report.cve_data.reviewed_through is not None:
        lines += metric("hostaudit_cve_data_timestamp_seconds", "gauge",
                         "Unix time of the newest CVE record the audit's CVE data was reviewed against.",
                         [({}, _timestamp(report.cve_data.reviewed_through))])
    if report.cve_data is not None and report.cve_data.age_days is not None:  # both dates readable
        lines += metric("hostaudit_cve_data_age_seconds", "gauge",
                         f"Age of the CVE data when the audit collected its facts (over {cves.STALE_DAYS} days: "
                         "update hostaudit).",
                         [({}, _timestamp(report.collected_at) - _timestamp(report.cve_data.reviewed_through))])
    if report.engines:
        lines += metric("hostaudit_engine_up", "gauge", "Each container engine audited, with its version and owner: "
                         "1 when it was read, 0 when its API could not be.",
                         [({"kind": e.kind, "endpoint": e.endpoint, "version": e.version or "", "owner": e.owner},
                           0 if e.error else 1) for e in report.engines])
    lines += metric("hostaudit_collector_up", "gauge", "1 when the collector delivered (or its component is absent), "
                     "0 when it failed.",
                     [({"collector": s.name}, 0 if s.state is CollectorState.ERROR else 1)
                      for s in sorted(report.collectors.values(), key=lambda s: s.name)])
    return "\n".join(lines) + "\n"
