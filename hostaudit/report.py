"""The finished report: findings joined with their check metadata, and what renderers need beside them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hostaudit import cves
from hostaudit.catalog import Check, CheckMeta, Severity
from hostaudit.model import (
    CollectorState,
    CollectorStatus,
    ContainerdFacts,
    Result,
    Snapshot,
    Status,
    Subject,
    daemon_subject,
)
from hostaudit.pss import PodSecurity
from hostaudit.sanitize import bounded

WAIVED = "waived"


def shown_status(status: str, waiver: str | None) -> str:
    """A finding's status as reports show and count it: a failure a waiver covers is `waived` (the one definition,
    also for findings read back from a JSON report)."""
    return WAIVED if waiver and status == Status.FAIL else status

REPORT_VERSION = 2


@dataclass(frozen=True)
class Finding:
    """One result of one check, with the check's metadata (`check`, shared by all of its findings, never copied)."""

    check: CheckMeta
    subject: Subject
    status: Status
    evidence: dict[str, Any]
    detail: str
    waiver: str | None = None  # the reason, when a waiver covers this failure
    baseline: str | None = None  # new / unchanged, when compared with a previous report

    @property
    def check_id(self) -> str:
        return self.check.id

    @property
    def title(self) -> str:
        return self.check.title

    @property
    def severity(self) -> Severity:
        return self.check.severity

    @property
    def scope(self) -> str:
        return self.check.scope.value

    @property
    def rationale(self) -> str:
        return self.check.rationale

    @property
    def remediation(self) -> str:
        return self.check.remediation

    @property
    def cis(self) -> tuple[str, ...]:
        return self.check.cis

    @property
    def references(self) -> tuple[str, ...]:
        return self.check.references

    @property
    def ansible_key(self) -> str | None:
        return self.check.ansible_key

    @property
    def identity(self) -> str:
        """One identity everywhere (fingerprints, baselines, waivers): check id + subject key, never text."""
        return f"{self.check.id}|{self.subject.key}"

    @property
    def failing(self) -> bool:
        """A failure that counts: failed and not waived."""
        return shown_status(self.status, self.waiver) == Status.FAIL

    @property
    def shown_status(self) -> str:
        return shown_status(self.status, self.waiver)


@dataclass(frozen=True)
class ContainerSummary:
    key: str
    name: str
    source: str
    state: str
    image: str
    pod: str | None
    owner: str = ""  # the user whose engine runs it (a rootless engine's user); "" when not known


@dataclass(frozen=True)
class EngineSummary:
    """A container engine the audit read (a dockerd), as reports list it."""

    kind: str  # docker
    subject: str  # the key of its daemon results ("daemon", "daemon:<socket>")
    endpoint: str
    version: str | None
    owner: str  # root, or the user of a rootless engine
    uid: int | None
    pid: int | None
    rootless: bool
    config_file: str  # the daemon.json it reads (a rootless engine's: its user's)
    error: str | None = None  # why its API could not be read

    @property
    def label(self) -> str:
        """How a headline names it: its socket, or its rootless owner."""
        return f"rootless uid {self.uid}" if self.rootless else self.endpoint.removeprefix("unix://")


@dataclass(frozen=True)
class HostPathMount:
    """A host path bind-mounted into a pod's container (a hostPath volume, for the Pod Security Standards)."""

    container: str
    host_path: str
    mount_path: str


@dataclass(frozen=True)
class PodSummary:
    """A Kubernetes pod as the node runs it, and the Pod Security Standards level its effective facts meet."""

    namespace: str
    name: str
    uid: str
    state: str
    owner_kind: str  # "" for a bare or static pod
    owner_name: str
    host_namespaces: tuple[str, ...]
    containers: tuple[str, ...]  # subject keys
    pss: PodSecurity
    host_path_mounts: tuple[HostPathMount, ...] = ()
    init_containers: tuple[str, ...] = ()
    security_context: dict[str, Any] = field(default_factory=dict)  # pod-level, as kubelet sent it to the runtime


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
    pods: tuple[PodSummary, ...] = ()
    notes: tuple[str, ...] = ()
    resolved: tuple[str, ...] = field(default=())  # identities failing in the baseline, no longer failing
    duration_s: float | None = None  # wall time of collection and evaluation, measured by the CLI
    cve_data: cves.DataAge | None = None  # how old the CVE knowledge was at collection time
    engines: tuple[EngineSummary, ...] = ()  # every dockerd audited, each with its own daemon results

    def counts(self) -> dict[str, int]:
        """Failing findings per severity (waived ones excluded)."""
        tally = Counter(f.check.severity for f in self.findings if f.failing)
        return {s.value: tally[s] for s in Severity}

    def status_counts(self) -> dict[str, int]:
        tally = Counter(shown_status(f.status, f.waiver) for f in self.findings)
        return {name: tally[name] for name in (*[s.value for s in Status], WAIVED)}

    @property
    def pod_count(self) -> int:
        """How many Kubernetes pods the workload containers belong to."""
        return len({c.pod for c in self.containers if c.pod})

    @property
    def headline(self) -> str:
        """The answer the report leads with: workload containers (sandboxes never counted) and their pods."""
        count = self.pod_count
        pods = f" (in {count} pod{'s' if count != 1 else ''})" if count else ""
        return f"{len(self.escapable)} of {len(self.containers)} containers{pods} can escape to the host"

    def pod_levels(self) -> dict[str, str]:
        """"namespace/name" -> Pod Security Standards level, for renderers that annotate a finding with its pod's."""
        return {f"{p.namespace}/{p.name}": p.pss.level for p in self.pods}

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


MAX_VERSION = 100  # characters of an engine's version as its API gave it (a rootless engine's API is its user's)


def engine_summaries(snapshot: Snapshot) -> tuple[EngineSummary, ...]:
    """Every dockerd audited, the endpoint's first, with the subject key of its daemon results."""
    summaries = []
    for daemon in snapshot.docker_daemons:
        engine = daemon.engine
        version = (daemon.version or {}).get("Version")
        version = bounded(str(version), MAX_VERSION) if version else None
        summaries.append(EngineSummary(
            "docker", daemon_subject(engine, main=daemon is snapshot.docker_daemon).key,
            f"unix://{engine.socket}" if engine else daemon.endpoint, version,
            engine.user if engine else "", engine.uid if engine else None, engine.pid if engine else daemon.pid,
            engine.rootless if engine else daemon.rootless, daemon.config.path, daemon.error))
    return tuple(summaries)


def docker_headline(engines: tuple[EngineSummary, ...]) -> str | None:
    """"20.10.24" for root's one dockerd; with several, or a rootless one, each named: "20.10.24 (2 daemons:
    /var/run/docker.sock, rootless uid 1000)"; None when there is no dockerd or none told its version."""
    versions = list(dict.fromkeys(e.version for e in engines if e.version))
    if len(engines) < 2 and not any(e.rootless for e in engines):
        return versions[0] if versions else None
    daemons = f"{len(engines)} daemon{'s' if len(engines) != 1 else ''}"
    return f"{', '.join(versions) or 'version unknown'} ({daemons}: {', '.join(e.label for e in engines)})"


def _runc_versions(snapshot: Snapshot, components: dict[str, Any]) -> str | None:
    """runc as the API's /version names it, else as the host's runc binaries print it."""
    if components.get("runc"):
        return str(components["runc"])
    binaries = snapshot.host.runtime_binaries if snapshot.host else {}
    found = dict.fromkeys(v for path, v in sorted(binaries.items()) if path.rsplit("/", 1)[-1] == "runc")
    return ", ".join(found) or None


def _containerd_headline(facts: ContainerdFacts | None, from_docker: str | None) -> str | None:
    """containerd's version (the running one's, else Docker's component), with its instances when several run:
    `1.6.20 (2 instances: /run/containerd/containerd.sock, /srv/ci/containerd.sock)`."""
    if facts is None:
        return from_docker
    running = [i for i in facts.instances if i.pid is not None]
    if len(running) < 2:
        return facts.main.version or from_docker
    versions = " / ".join(dict.fromkeys(i.version for i in running if i.version)) or from_docker or "n/a"
    return f"{versions} ({len(running)} instances: {', '.join(i.socket or f'pid {i.pid}' for i in running)})"


def _host_summary(snapshot: Snapshot, engines: tuple[EngineSummary, ...]) -> dict[str, Any]:
    host = snapshot.host
    daemon = snapshot.docker_daemon
    summary: dict[str, Any] = {"hostname": host.hostname if host else None}
    if host:
        summary |= {"kernel": host.kernel_release, "distro": host.distro_name,
                    "cgroup": "v2" if host.cgroup_v2_unified else "v1", "lsm": ",".join(host.lsms) or None,
                    "namespace_reference": host.reference_source}
    version = (daemon.version or {}) if daemon else {}
    summary["docker"] = docker_headline(engines)
    summary["docker_endpoint"] = daemon.endpoint if daemon else None
    components = {c.get("Name"): c.get("Version") for c in version.get("Components") or [] if isinstance(c, dict)}
    summary["containerd"] = _containerd_headline(snapshot.containerd, components.get("containerd"))
    summary["runc"] = _runc_versions(snapshot, components)
    if snapshot.cri is not None:
        summary["cri_runtime"] = f"{snapshot.cri.runtime_name} {snapshot.cri.runtime_version}"
    return summary


MAX_LISTED = 20  # notes of one kind: a user can start any number of look-alike processes


def _notes(snapshot: Snapshot) -> list[str]:
    notes = []
    if snapshot.host and not snapshot.host.running_as_root:
        notes.append("running as non-root: /proc of other users' processes and root-only files cannot be read; "
                     "checks that need them are 'unknown'")
    for status in snapshot.collectors.values():
        if status.state is not CollectorState.OK:
            notes.append(f"{status.name} {status.state.value}: {status.message}")
    for proc in snapshot.untrusted_processes[:MAX_LISTED]:
        notes.append(f"not believed: process {proc.pid} named {proc.name} ({proc.reason}); only root's own "
                     "processes count as the host's daemons and agents, and nothing its command line names is read")
    for engine in [e for e in snapshot.docker_engines if e.error][:MAX_LISTED]:
        notes.append(f"not counted as a Docker engine: {engine.error} ({engine.found_by})")
    gone = [key for key, proc in snapshot.runtime.items() if proc.error]
    if gone:
        notes.append(f"{len(gone)} container process(es) could not be read from /proc: " + ", ".join(sorted(gone)[:5]))
    return notes


def pod_summaries(snapshot: Snapshot, results: dict[str, list[Result]]) -> tuple[PodSummary, ...]:
    """Every pod of the node with its Pod Security Standards level, judged from the whole catalog's results."""
    from hostaudit import pss

    by_subject: dict[str, dict[str, Result]] = {}
    for check_id, check_results in results.items():
        for result in check_results:
            by_subject.setdefault(result.subject.key, {})[check_id] = result
    summaries = []
    for pod in snapshot.pods:
        members = [c for c in snapshot.all_containers if c.pod is not None and c.pod.container_name
                   and c.pod.sandbox_id == pod.sandbox_id]
        mounts = tuple(HostPathMount(c.pod.container_name, m.source, m.destination) for c in members
                       for m in c.mounts if pss.is_host_path(m.source, m.type))
        summaries.append(PodSummary(pod.namespace, pod.name, pod.uid, pod.state, pod.owner_kind, pod.owner_name,
                                    pod.host_namespaces, pod.containers, pss.from_facts(snapshot, pod, by_subject),
                                    tuple(dict.fromkeys(mounts)), pod.init_containers, pod.security_context))
    return tuple(summaries)


def build(snapshot: Snapshot, checks: dict[str, Check], results: dict[str, list[Result]],
          escapes: tuple[EscapeVerdict, ...] = (), pods: tuple[PodSummary, ...] = ()) -> Report:
    findings = [Finding(checks[check_id].meta, result.subject, result.status, result.evidence, result.detail)
                for check_id, check_results in results.items() for result in check_results]
    rank = {check_id: checks[check_id].meta.severity.rank for check_id in results}
    findings.sort(key=lambda f: (-rank[f.check.id], f.check.id, f.subject.key))
    engines = engine_summaries(snapshot)
    return Report(
        report_version=REPORT_VERSION,
        hostaudit_version=snapshot.hostaudit_version,
        collected_at=snapshot.collected_at,
        host=_host_summary(snapshot, engines),
        collectors=snapshot.collectors,
        containers=tuple(
            ContainerSummary(c.key, c.name, c.source, c.state, c.image,
                             f"{c.pod.namespace}/{c.pod.name}" if c.pod else None, c.owner)
            for c in snapshot.all_containers if not c.is_sandbox
        ),
        findings=tuple(findings),
        escapes=escapes,
        pods=pods,
        notes=tuple(_notes(snapshot)),
        cve_data=cves.data_age(snapshot.collected_at, cves.reviewed_through()),
        engines=engines,
    )
