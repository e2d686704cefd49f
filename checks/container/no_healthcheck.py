"""Container has no health check."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Container

from ._docker_only import docker_only
from ._subjects import Judgement, per_container

META = CheckMeta(
    id="container.no_healthcheck",
    title="Container has no health check",
    severity=Severity.LOW,
    scope=Scope.CONTAINER,
    cis=("5.27",),
    rationale="Without a HEALTHCHECK (in the image or --health-cmd) Docker cannot tell a hung or hijacked service "
              "from a healthy one, and nothing restarts or alerts on it.",
    remediation="Add HEALTHCHECK to the image or run with --health-cmd (Kubernetes: liveness/readiness probes).",
    needs=(),
)


@docker_only
def judge(ctr: Container) -> Judgement:
    return not ctr.healthcheck, {"healthcheck": ctr.healthcheck}


@register(META)
def evaluate(facts):
    return per_container(facts, judge)
