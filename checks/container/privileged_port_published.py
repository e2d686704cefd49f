"""Container publishes a privileged host port."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Container

from ._ports import describe, host_port
from ._subjects import Judgement, per_container

META = CheckMeta(
    id="container.privileged_port_published",
    title="Container publishes a privileged host port",
    severity=Severity.LOW,
    scope=Scope.CONTAINER,
    cis=("5.8",),
    rationale="Ports below 1024 are reserved for services root starts; a container holding one can impersonate "
              "a host service (ssh, DNS, HTTP) to other machines.",
    remediation="Publish on a port of 1024 or above (-p 8080:80) and let a proxy or load balancer map it.",
    needs=(),
)


def judge(ctr: Container) -> Judgement:
    low = [describe(p) for p in ctr.ports if (number := host_port(p)) is not None and number < 1024]
    return bool(low), {"ports": [describe(p) for p in ctr.ports], "ports.privileged": low}


@register(META)
def evaluate(facts):
    return per_container(facts, judge)
