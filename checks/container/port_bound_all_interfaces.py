"""Container publishes a port on every host address."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Container

from ._ports import WILDCARDS, describe
from ._subjects import Judgement, per_container

META = CheckMeta(
    id="container.port_bound_all_interfaces",
    title="Container publishes a port on every host address",
    severity=Severity.MEDIUM,
    scope=Scope.CONTAINER,
    cis=("5.14",),
    rationale="-p 8080:80 binds 0.0.0.0 and :: on the host: the service is reachable on every interface, public "
              "ones included, and Docker's iptables rules bypass host firewalls such as ufw.",
    remediation="Bind to the address that should serve it: -p 127.0.0.1:8080:80 or -p 10.0.0.5:8080:80.",
    needs=(),
)


def judge(ctr: Container) -> Judgement:
    everywhere = [describe(p) for p in ctr.ports if p.host_ip in WILDCARDS]
    return bool(everywhere), {"ports": [describe(p) for p in ctr.ports], "ports.all_interfaces": everywhere}


@register(META)
def evaluate(facts):
    return per_container(facts, judge)
