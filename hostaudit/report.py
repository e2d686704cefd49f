"""The finished report: findings joined with their check metadata, and what renderers need beside them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hostaudit.catalog import Check, Severity
from hostaudit.model import CollectorState, CollectorStatus, Result, Snapshot, Status, Subject

REPORT_VERSION = 2


@dataclass(frozen=True)
class Finding:
    check_id: str
    title: str
    severity: Severity
    scope: str
    subject: Subject
    status: Status
    evidence: dict[str, Any]
    detail: str
    rationale: str
    remediation: str
    cis: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    ansible_key: str | None = None
    waiver: str | None = None  # the reason, when a waiver covers this failure
    baseline: str | None = None  # new / unchanged, when compared with a previous report

    @property
    def identity(self) -> str:
        """One identity everywhere (fingerprints, baselines, waivers): check id + subject key, never text."""
        return f"{self.check_id}|{self.subject.key}"

    @property
    def failing(self) -> bool:
        """A failure that counts: failed and not waived."""
        return self.status is Status.FAIL and self.waiver is None


@dataclass(frozen=True)
class ContainerSummary:
    key: str
    name: str
    source: str
    state: str
    image: str
    pod: str | None


@dataclass(frozen=True)
class EscapePath:
    technique: str
    evidence: tuple[str, ...]  # "check_id: detail" of the flat findings that make it
    kind: str = "direct"  # direct (an escape by itself), conditional (needs a host action or exploit), weakening


@dataclass(frozen=True)
class EscapeVerdict:
    subject: Subject
    verdict: str  # escapable / weakened / contained
    paths: tuple[EscapePath, ...]


@dataclass(frozen=True)
class Report:
    report_version: int
    hostaudit_version: str
    collected_at: str
    host: dict[str, Any]
    collectors: dict[str, CollectorStatus]
    containers: tuple[ContainerSummary, ...]
    findings: tuple[Finding, ...]
    escapes: tuple[EscapeVerdict, ...] = ()
    notes: tuple[str, ...] = ()
    resolved: tuple[str, ...] = field(default=())  # identities failing in the baseline, no longer failing
    duration_s: float | None = None  # wall time of collection and evaluation, measured by the CLI

    def counts(self) -> dict[str, int]:
        """Failing findings per severity (waived ones excluded)."""
        tally = Counter(f.severity.value for f in self.findings if f.failing)
        return {s.value: tally.get(s.value, 0) for s in Severity}

    def status_counts(self) -> dict[str, int]:
        tally = Counter("waived" if f.status is Status.FAIL and f.waiver else f.status.value for f in self.findings)
        return {name: tally.get(name, 0) for name in (*[s.value for s in Status], "waived")}

    @property
    def escapable(self) -> tuple[EscapeVerdict, ...]:
        return tuple(v for v in self.escapes if v.verdict == "escapable")

    def exit_code(self, fail_on: Severity | None, new_only: bool = False) -> int:
        """0 when nothing failing reaches `fail_on`, 1 otherwise (only new findings count with `new_only`)."""
        if fail_on is None:
            return 0
        for finding in self.findings:
            if finding.failing and finding.severity.rank >= fail_on.rank and (
                    not new_only or finding.baseline == "new"):
                return 1
        return 0


def _host_summary(snapshot: Snapshot) -> dict[str, Any]:
    host = snapshot.host
    daemon = snapshot.docker_daemon
    summary: dict[str, Any] = {"hostname": host.hostname if host else None}
    if host:
        summary |= {"kernel": host.kernel_release, "distro": host.distro_name,
                    "cgroup": "v2" if host.cgroup_v2_unified else "v1", "lsm": ",".join(host.lsms) or None,
                    "namespace_reference": host.reference_source}
    version = (daemon.version or {}) if daemon else {}
    summary["docker"] = version.get("Version")
    summary["docker_endpoint"] = daemon.endpoint if daemon else None
    components = {c.get("Name"): c.get("Version") for c in version.get("Components") or [] if isinstance(c, dict)}
    summary["containerd"] = (snapshot.containerd.version if snapshot.containerd else None) or components.get(
        "containerd")
    summary["runc"] = components.get("runc")
    return summary


def _notes(snapshot: Snapshot) -> list[str]:
    notes = []
    if snapshot.host and not snapshot.host.running_as_root:
        notes.append("running as non-root: /proc of other users' processes and root-only files cannot be read; "
                     "checks that need them are 'unknown'")
    for status in snapshot.collectors.values():
        if status.state is not CollectorState.OK:
            notes.append(f"{status.name} {status.state.value}: {status.message}")
    gone = [key for key, proc in snapshot.runtime.items() if proc.error]
    if gone:
        notes.append(f"{len(gone)} container process(es) could not be read from /proc: " + ", ".join(sorted(gone)[:5]))
    return notes


def build(snapshot: Snapshot, checks: dict[str, Check], results: dict[str, list[Result]],
          escapes: tuple[EscapeVerdict, ...] = ()) -> Report:
    findings = []
    for check_id, check_results in results.items():
        meta = checks[check_id].meta
        for result in check_results:
            findings.append(Finding(
                check_id=check_id, title=meta.title, severity=meta.severity, scope=meta.scope.value,
                subject=result.subject, status=result.status, evidence=result.evidence, detail=result.detail,
                rationale=meta.rationale, remediation=meta.remediation, cis=meta.cis, references=meta.references,
                ansible_key=meta.ansible_key,
            ))
    findings.sort(key=lambda f: (-f.severity.rank, f.check_id, f.subject.key))
    return Report(
        report_version=REPORT_VERSION,
        hostaudit_version=snapshot.hostaudit_version,
        collected_at=snapshot.collected_at,
        host=_host_summary(snapshot),
        collectors=snapshot.collectors,
        containers=tuple(
            ContainerSummary(c.key, c.name, c.source, c.state, c.image,
                             f"{c.pod.namespace}/{c.pod.name}" if c.pod else None)
            for c in snapshot.all_containers
        ),
        findings=tuple(findings),
        escapes=escapes,
        notes=tuple(_notes(snapshot)),
    )
