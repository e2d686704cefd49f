"""The Linux audit system does not watch the container runtime."""

from __future__ import annotations

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import HOST, Presence, Result, Snapshot

META = CheckMeta(
    id="host.container_runtime_not_audited",
    title="The Linux audit system does not watch the container runtime",
    severity=Severity.LOW,
    scope=Scope.HOST,
    references=("CIS Docker Benchmark 1.1.3-1.1.18",),
    rationale="Without auditd watching the runtime's binaries, configuration and API sockets, a changed "
              "daemon.json or config.toml, a replaced runc, or a process talking to docker.sock leaves no trace "
              "to investigate after an escape.",
    remediation="Run auditd and add watch rules (-w PATH -p wa -k container-runtime) for dockerd, containerd, runc, "
                "/etc/docker, /etc/containerd and the API sockets; the CIS audit-rule checks list each file.",
    needs=("audit_rules",),
)


def _targets(facts: Snapshot) -> dict[str, list[str]]:
    """The runtime's binaries, configuration and sockets present on this host, by group."""
    binaries = sorted(facts.host.runtime_binaries) if facts.host else []
    configs, sockets = [], []
    for facts_of in (facts.docker_daemon, facts.containerd):
        if facts_of is None:
            continue
        if facts_of.config.presence is Presence.PRESENT:
            configs.append(facts_of.config.path)
        sockets += [s.path for s in facts_of.sockets if s.presence is Presence.PRESENT]
    return {"binaries": binaries, "configs": sorted(set(configs)), "sockets": sorted(set(sockets))}


def _watched(path: str, watches: list[str]) -> bool:
    """A watch on the file itself or on a directory above it (directory watches are recursive)."""
    return any(path == w or path.startswith(w.rstrip("/") + "/") for w in watches)


@register(META)
def evaluate(facts: Snapshot):
    audit = facts.audit_rules
    watches = [r.path for r in audit.rules]
    evidence: dict = {"auditd_running": audit.auditd_running, "rules.source": audit.source}
    if not audit.auditd_running:
        return [Result.failed(HOST, evidence, "auditd is not running")]
    targets = {group: paths for group, paths in _targets(facts).items() if paths}
    if not targets:
        return [Result.unknown(HOST, evidence, "no runtime binary, configuration or socket was found")]
    unwatched = {group: [p for p in paths if not _watched(p, watches)] for group, paths in targets.items()}
    evidence["unwatched"] = {group: paths for group, paths in unwatched.items() if paths}
    if audit.unreadable and evidence["unwatched"]:
        return [Result.unknown(HOST, {**evidence, "rules.unreadable": list(audit.unreadable)})]
    # each group needs at least one watch: the runtime audited at all, not the CIS per-file tally
    missing = sorted(group for group, paths in unwatched.items() if len(paths) == len(targets[group]))
    evidence["groups_without_any_watch"] = missing
    return [Result.failed(HOST, evidence) if missing else Result.passed(HOST, evidence)]
