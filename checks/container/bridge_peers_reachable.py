"""Container can be reached by the other containers on its bridge."""

from __future__ import annotations

from typing import Any

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Container, Snapshot, Status

from ..cni.no_network_policy_enforcement import META as NETWORK_POLICY
from ..daemon._settings import setting
from ..daemon.iptables_disabled import META as IPTABLES_OFF
from ._networks import docker_network_kind
from ._subjects import Judgement, per_container

META = CheckMeta(
    id="container.bridge_peers_reachable",
    title="Container can be reached by every container on its bridge",
    severity=Severity.MEDIUM,
    scope=Scope.CONTAINER,
    cis=("2.2", "5.30"),
    references=("MITRE ATT&CK T1210",),
    rationale="On Docker's default bridge with icc on, every container reaches every other container's ports, "
              "published or not. With the daemon's iptables off (daemon.iptables_disabled) nothing enforces icc "
              "or the isolation between user-defined networks either, so a compromised neighbour reaches this "
              "container's unpublished services.",
    remediation="Put containers that must talk on a user-defined network of their own, set \"icc\": false in "
                "daemon.json, and keep the daemon's iptables management on.",
    needs=(),
)


def judge(facts: Snapshot, ctr: Container) -> Judgement:
    if ctr.source != "docker":
        return Status.NOT_APPLICABLE, {"source": ctr.source, "see": NETWORK_POLICY.id}
    kind = docker_network_kind(ctr)
    evidence: dict[str, Any] = {"network_mode": ctr.network_mode, "networks": list(ctr.networks), "network": kind}
    if kind not in ("default-bridge", "user-defined"):
        return Status.NOT_APPLICABLE, evidence  # no bridge peers (host network is container.host_network)
    daemon = facts.docker_daemon_of(ctr)
    if daemon is None:
        return None, evidence
    iptables_found = setting(daemon, "iptables", True)
    iptables, iptables_source = iptables_found.value, iptables_found.source
    if not iptables_found.known:
        return None, {**evidence, "daemon.iptables.source": iptables_source}
    evidence |= {"daemon.iptables": iptables, "daemon.iptables.source": iptables_source}
    if iptables is False:
        evidence["see"] = IPTABLES_OFF.id
        return True, evidence  # icc=false and network isolation are iptables rules
    if kind == "user-defined":
        return False, evidence  # peers are the members of its own networks only
    icc_found = setting(daemon, "icc", True)
    icc, icc_source = icc_found.value, icc_found.source
    if not icc_found.known:
        return None, {**evidence, "daemon.icc.source": icc_source}
    evidence |= {"daemon.icc": icc, "daemon.icc.source": icc_source}
    return icc is not False, evidence


@register(META)
def evaluate(facts: Snapshot):
    return per_container(facts, lambda ctr: judge(facts, ctr))
