"""The daemon is part of a swarm."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import DAEMON, Result, Snapshot

from ._swarm import ACTIVE_STATES, swarm_state

META = CheckMeta(
    id="daemon.swarm_mode_active",
    title="Docker daemon runs in swarm mode",
    severity=Severity.LOW,
    scope=Scope.DAEMON,
    cis=("5.1",),
    rationale="Swarm mode opens the cluster management port (2377) and the overlay data plane, and lets a manager "
              "schedule containers here; unless the host is meant to be a swarm node that is exposure for nothing.",
    remediation="If this host does not need to be a swarm node, leave the swarm ('docker swarm leave'; on a "
                "manager, demote it first). Whether it must stay is a site decision.",
    needs=("docker_daemon",),
)


@register(META)
def evaluate(facts: Snapshot):
    state = swarm_state(facts.docker_daemon)
    evidence = {"api.swarm.local_node_state": state}
    if state is None:
        return [Result.unknown(DAEMON, evidence, "the API did not report the swarm state")]
    return [Result.failed(DAEMON, evidence) if state in ACTIVE_STATES else Result.passed(DAEMON, evidence)]
