"""Many stopped containers are kept on the host."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import DAEMON, Result, Snapshot

META = CheckMeta(
    id="daemon.container_sprawl",
    title="Many stopped containers are kept on the host",
    severity=Severity.INFO,
    scope=Scope.DAEMON,
    cis=("6.2",),
    rationale="Stopped containers keep their writable layers, configuration and volumes; any of them can be "
              "restarted with the privileges it was created with, and they hide the containers that matter.",
    remediation="Remove containers that are no longer needed ('docker container prune' after review).",
    needs=("docker_daemon",),
)
STOPPED_LIMIT = 25


@register(META)
def evaluate(facts: Snapshot):
    daemon = facts.docker_daemon
    stopped = daemon.stopped_container_count
    evidence = {"api.containers": daemon.container_count, "api.containers_stopped": stopped,
                "limit_stopped": STOPPED_LIMIT}
    if stopped is None:
        return [Result.unknown(DAEMON, evidence, "the API did not report the container counts")]
    return [Result.failed(DAEMON, evidence) if stopped >= STOPPED_LIMIT else Result.passed(DAEMON, evidence)]
