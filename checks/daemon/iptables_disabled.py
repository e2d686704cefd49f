"""The daemon may not manage iptables rules."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Snapshot

from ._settings import bool_setting

META = CheckMeta(
    id="daemon.iptables_disabled",
    title="Docker daemon may not manage iptables rules",
    severity=Severity.MEDIUM,
    scope=Scope.DAEMON,
    cis=("2.4",),
    rationale="With iptables off, published ports and container isolation rules are left to hand-written "
              "firewall rules, which routinely expose containers or leave inter-network traffic open.",
    remediation="Remove --iptables=false from the daemon's command line and \"iptables\": false from daemon.json.",
    needs=("docker_daemon",),
    ansible_key="iptables",
)


@register(META)
def evaluate(facts: Snapshot):
    return bool_setting(facts, "iptables", default=True, risky_when=False)
