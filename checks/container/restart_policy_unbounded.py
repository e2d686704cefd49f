"""Container restarts without a bound."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Container

from ._docker_only import docker_only
from ._subjects import Judgement, per_container

META = CheckMeta(
    id="container.restart_policy_unbounded",
    title="Container restarts without a bound",
    severity=Severity.LOW,
    scope=Scope.CONTAINER,
    cis=("5.15",),
    rationale="A restart policy of always or unless-stopped, or on-failure with more than 5 retries, restarts a "
              "crashing or compromised container forever: a restart loop loads the host and hides the failure.",
    remediation="Use --restart on-failure:5 (at most 5 retries).",
    needs=(),
)

MAX_RETRIES = 5


@docker_only
def judge(ctr: Container) -> Judgement:
    evidence = {"restart_policy": ctr.restart_policy, "restart_max_retries": ctr.restart_max_retries}
    if ctr.restart_policy in ("always", "unless-stopped"):
        return True, evidence
    if ctr.restart_policy == "on-failure":
        return ctr.restart_max_retries <= 0 or ctr.restart_max_retries > MAX_RETRIES, evidence
    return False, evidence


@register(META)
def evaluate(facts):
    return per_container(facts, judge)
