"""Container holds capabilities beyond the runtime's default set."""

from hostaudit.caps import DEFAULT_CAPABILITIES
from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Snapshot

from ._effective import capabilities
from ._subjects import per_container

META = CheckMeta(
    id="container.capabilities_added",
    title="Container holds capabilities beyond the default set",
    severity=Severity.MEDIUM,
    scope=Scope.CONTAINER,
    cis=("5.4",),
    rationale="Every capability added to Docker's default set widens what root in the container can do to the "
              "kernel and the host.",
    remediation="Drop all capabilities (--cap-drop ALL) and add back only those the workload needs.",
    needs=(),
)


@register(META)
def evaluate(facts: Snapshot):
    def judge(ctr):
        view = capabilities(facts, ctr)
        extra = sorted(view.names - DEFAULT_CAPABILITIES)
        return bool(extra), {"capabilities.beyond_default": extra, **view.evidence()}

    return per_container(facts, judge)
