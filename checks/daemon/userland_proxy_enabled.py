"""The daemon forwards published ports through the userland proxy."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.daemon_settings import Shown
from hostaudit.model import Snapshot

from ._settings import bool_setting

META = CheckMeta(
    id="daemon.userland_proxy_enabled",
    title="Docker daemon forwards published ports through the userland proxy",
    severity=Severity.LOW,
    scope=Scope.DAEMON,
    cis=("2.16",),
    rationale="docker-proxy runs one root process per published port and widens the attack surface; hairpin "
              "NAT does the same job in the kernel.",
    remediation="Set \"userland-proxy\": false in daemon.json (or --userland-proxy=false; the space form "
                "'--userland-proxy false' is not a boolean flag value to dockerd).",
    needs=("docker_daemon",),
    ansible_key="userland_proxy",
)


@register(META)
def evaluate(facts: Snapshot):
    argv = [arg for arg in facts.docker_daemon.argv if "userland-proxy" in arg]
    return bool_setting(facts, "userland-proxy", default=True, risky_when=True, extra={"argv": argv},
                        shown=_shown(facts))


def _shown(facts: Snapshot) -> Shown | None:
    """What the running daemon shows: docker-proxy processes for its published ports, or none despite them."""
    proxies = facts.docker_daemon.proxy_processes
    if proxies is None:
        return None
    if proxies:
        return Shown(True, f"{proxies} docker-proxy process(es) of dockerd")
    published = [c.name for c in facts.containers if c.running and any(p.host_port for p in c.ports)]
    if published:
        return Shown(False, f"no docker-proxy process although {', '.join(published[:5])} publish ports")
    return None
