"""Container has a mount with shared propagation."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Container, Snapshot

from ._subjects import Judgement, per_container

META = CheckMeta(
    id="container.mount_propagation_shared",
    title="Container has a mount with shared propagation",
    severity=Severity.MEDIUM,
    scope=Scope.CONTAINER,
    cis=("5.20",),
    rationale="A shared (rshared) mount propagates mounts made inside the container back to the host's mount "
              "namespace, and host mounts into the container.",
    remediation="Mount volumes with private or slave propagation (drop :shared / :rshared; Kubernetes: "
                "mountPropagation: None or HostToContainer).",
    needs=(),
)


def judge(facts: Snapshot, ctr: Container) -> Judgement:
    declared = [f"{m.destination} ({m.propagation})" for m in ctr.mounts if m.propagation in ("shared", "rshared")]
    evidence = {"mounts.shared.declared": declared}
    proc = facts.process(ctr)
    if proc is not None and proc.mounts:
        effective = [m.mount_point for m in proc.mounts if any(p.startswith("shared:") for p in m.propagation)]
        evidence["mounts.shared.mountinfo"] = effective
        return bool(effective), evidence
    return bool(declared), evidence


@register(META)
def evaluate(facts: Snapshot):
    return per_container(facts, lambda ctr: judge(facts, ctr))
