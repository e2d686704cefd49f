"""Swarm managers start unlocked: their raft keys sit unencrypted on disk."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import DAEMON, Result, Snapshot

from ._swarm import swarm, swarm_state

META = CheckMeta(
    id="daemon.swarm_autolock_disabled",
    title="Swarm manager keys are not locked (autolock off)",
    severity=Severity.MEDIUM,
    scope=Scope.DAEMON,
    cis=("7.5",),
    rationale="Without autolock the TLS key and the key that decrypts the raft log (with every swarm secret) are "
              "stored on the manager's disk: a stolen disk or backup yields all secrets.",
    remediation="Run 'docker swarm update --autolock=true' on a manager and keep the unlock key in a vault.",
    needs=("docker_daemon",),
)


@register(META)
def evaluate(facts: Snapshot):
    daemon = facts.docker_daemon
    state = swarm_state(daemon)
    evidence: dict = {"api.swarm.local_node_state": state}
    if state == "locked":
        return [Result.passed(DAEMON, evidence, "the manager is locked, so autolock is on")]
    if state != "active":
        return [Result.not_applicable(DAEMON, evidence, "the daemon is not in an active swarm")]
    info = swarm(daemon)
    evidence["api.swarm.control_available"] = info.get("ControlAvailable")
    if info.get("ControlAvailable") is not True:
        return [Result.not_applicable(DAEMON, evidence, "autolock applies to managers; this node is a worker")]
    spec = ((info.get("Cluster") or {}).get("Spec") or {}).get("EncryptionConfig") or {}
    evidence["api.swarm.cluster.spec.encryption_config.auto_lock_managers"] = spec.get("AutoLockManagers")
    if "AutoLockManagers" not in spec:
        return [Result.unknown(DAEMON, evidence, "the API did not report the cluster's autolock setting")]
    return [Result.passed(DAEMON, evidence) if spec["AutoLockManagers"] is True else Result.failed(DAEMON, evidence)]
