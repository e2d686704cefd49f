"""The daemon forwards published ports through the userland proxy."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
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
    return bool_setting(facts, "userland-proxy", default=True, risky_when=True, extra={"argv": argv})
