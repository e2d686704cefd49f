"""Container can forge packets on a network it shares with other containers."""

from __future__ import annotations

from typing import Any

from hostaudit import caps
from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Container, Snapshot, Status

from ._effective import capabilities, shares_host_namespace
from ._networks import docker_network_kind
from ._subjects import Judgement, per_container

META = CheckMeta(
    id="container.net_raw_on_shared_network",
    title="Container can forge packets on a network it shares with other containers",
    severity=Severity.MEDIUM,
    scope=Scope.CONTAINER,
    cis=("5.4",),
    references=("CVE-2020-14386", "MITRE ATT&CK T1557"),
    rationale="CAP_NET_RAW (in Docker's and containerd's default set) on a bridge lets the container send raw "
              "ARP and IP packets: ARP-spoof its neighbours, answer their DNS queries, or intercept traffic to the "
              "gateway; on the host network, the host's.",
    remediation="Drop NET_RAW (docker run --cap-drop NET_RAW, or --cap-drop ALL; Kubernetes: capabilities.drop: "
                "[ALL], with containerd's enable_unprivileged_icmp for ping).",
    needs=(),
)


def _network(facts: Snapshot, ctr: Container) -> tuple[str | None, dict[str, Any]]:
    """The network the container's packets go out on, or None when it has none to share."""
    if ctr.source == "docker":
        kind = docker_network_kind(ctr)
        return (None if kind in ("none", "detached") else kind), {"network": kind, "networks": list(ctr.networks)}
    host, evidence = shares_host_namespace(facts, ctr, "network")
    if host:
        return "host", evidence
    # a pod's own namespace is wired by its CNI plugin; a bare task's may hold only loopback
    return ("pod network" if host is False and ctr.pod is not None else "unknown"), evidence


def judge(facts: Snapshot, ctr: Container) -> Judgement:
    network, evidence = _network(facts, ctr)
    if network is None:
        return Status.NOT_APPLICABLE, evidence
    proc = facts.process(ctr)
    if proc is not None and proc.cap_eff is not None:
        held = "NET_RAW" in caps.names(proc.cap_eff)
        evidence["capabilities.effective.has_NET_RAW"] = held
    else:
        view = capabilities(facts, ctr)
        held = "NET_RAW" in view.names
        evidence |= view.evidence("NET_RAW")
    if not held:
        return False, evidence
    return (None if network == "unknown" else True), evidence


@register(META)
def evaluate(facts: Snapshot):
    return per_container(facts, lambda ctr: judge(facts, ctr))
