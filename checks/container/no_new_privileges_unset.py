"""Container processes can gain privileges through setuid binaries."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Snapshot

from ._effective import no_new_privileges
from ._subjects import per_container

META = CheckMeta(
    id="container.no_new_privileges_unset",
    title="Container processes can gain privileges (no_new_privs unset)",
    severity=Severity.MEDIUM,
    scope=Scope.CONTAINER,
    cis=("5.26",),
    rationale="Without no_new_privs a setuid binary in the image turns any user in the container back into root "
              "with the full bounding set.",
    remediation="Run with --security-opt no-new-privileges (or set it daemon-wide); Kubernetes: "
                "allowPrivilegeEscalation: false.",
    needs=(),
)


@register(META)
def evaluate(facts: Snapshot):
    def judge(ctr):
        enabled, evidence = no_new_privileges(facts, ctr)
        return not enabled, evidence

    return per_container(facts, judge)
