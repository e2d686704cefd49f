"""Container overrides the daemon's default ulimits."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Container

from ._docker_only import docker_only
from ._subjects import Judgement, per_container

META = CheckMeta(
    id="container.ulimits_overridden",
    title="Container overrides the daemon's default ulimits",
    severity=Severity.INFO,
    scope=Scope.CONTAINER,
    cis=("5.19",),
    rationale="A per-container --ulimit replaces the limits the daemon sets for every container (open files, "
              "processes); raised ones let one container exhaust host resources.",
    remediation="Drop --ulimit unless the workload needs it, and keep limits in daemon.json default-ulimits.",
    needs=(),
)


@docker_only
def judge(ctr: Container) -> Judgement:
    return bool(ctr.ulimits), {"ulimits": list(ctr.ulimits)}


@register(META)
def evaluate(facts):
    return per_container(facts, judge)
