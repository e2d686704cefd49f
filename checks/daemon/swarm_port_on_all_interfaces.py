"""The swarm management port listens on every interface."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import DAEMON, Result, Snapshot

from ._swarm import swarm_state

META = CheckMeta(
    id="daemon.swarm_port_on_all_interfaces",
    title="Swarm management port listens on every interface",
    severity=Severity.MEDIUM,
    scope=Scope.DAEMON,
    cis=("7.2",),
    rationale="Port 2377 on a wildcard address is reachable from every network the host is on, including ones "
              "where no swarm peer lives.",
    remediation="Re-create or re-join the swarm with --listen-addr (and --advertise-addr) set to the management "
                "interface's address.",
    needs=("docker_daemon",),
)
SWARM_PORT = 2377
WILDCARDS = frozenset({"0.0.0.0", "::", "*", ""})


@register(META)
def evaluate(facts: Snapshot):
    daemon = facts.docker_daemon
    state = swarm_state(daemon)
    listeners = [f"{t.address}:{t.port}" for t in daemon.tcp_listeners if t.port == SWARM_PORT]
    evidence = {"api.swarm.local_node_state": state, "listeners": listeners}
    if state not in ("active", "locked"):
        return [Result.not_applicable(DAEMON, evidence, "the daemon is not in an active swarm")]
    if not listeners:
        return [Result.unknown(DAEMON, evidence, "no listener on port 2377 was seen (a worker, or the sockets of "
                                                  "dockerd could not be read)")]
    wildcard = [t for t in daemon.tcp_listeners if t.port == SWARM_PORT and t.address in WILDCARDS]
    return [Result.failed(DAEMON, evidence) if wildcard else Result.passed(DAEMON, evidence)]
