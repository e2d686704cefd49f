"""Container runs privileged."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Snapshot

from ._effective import capabilities
from ._subjects import Judgement, per_container

META = CheckMeta(
    id="container.privileged",
    title="Container runs privileged",
    severity=Severity.CRITICAL,
    scope=Scope.CONTAINER,
    cis=("5.5",),
    references=("MITRE ATT&CK T1611", "Trail of Bits: Understanding Docker container escapes (2019)"),
    rationale="A privileged container holds every capability, sees every host device, and runs without seccomp, "
              "AppArmor and masked /proc paths: root in it is root on the host.",
    remediation="Recreate the container without --privileged (Kubernetes: privileged: false); grant only the "
                "capabilities and devices it needs.",
    needs=(),
)


def judge(facts: Snapshot, ctr) -> Judgement:
    evidence = {"privileged.declared": ctr.privileged, "state": ctr.state}
    proc = facts.process(ctr)
    host = facts.host
    if proc is not None and proc.cap_bnd is not None and host is not None and host.reference_cap_bnd:
        full = proc.cap_bnd == host.reference_cap_bnd and not ctr.masked_paths
        evidence["proc.cap_bnd"] = f"{proc.cap_bnd:016x}"
        evidence["host.cap_bnd"] = f"{host.reference_cap_bnd:016x}"
        evidence["capabilities.source"] = capabilities(facts, ctr).source
        return ctr.privileged or full, evidence
    return ctr.privileged, evidence


@register(META)
def evaluate(facts: Snapshot):
    return per_container(facts, lambda ctr: judge(facts, ctr))
