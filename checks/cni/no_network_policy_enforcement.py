"""The pod network plugin cannot enforce NetworkPolicy."""

from __future__ import annotations

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import HOST, CniConfig, Presence, Result, Snapshot

META = CheckMeta(
    id="cni.no_network_policy_enforcement",
    title="The pod network plugin cannot enforce NetworkPolicy",
    severity=Severity.MEDIUM,
    scope=Scope.HOST,
    references=("CIS Kubernetes Benchmark 5.3.1", "MITRE ATT&CK T1021"),
    rationale="NetworkPolicy objects are accepted by the API server whatever the CNI plugin, but only a plugin that "
              "implements them (Calico, Cilium, Antrea, Weave Net, kube-router) drops traffic: with bridge or flannel "
              "alone every pod reaches every other pod and the node's services, whatever the policies say.",
    remediation="Use a CNI plugin that enforces NetworkPolicy (Calico, Cilium, Antrea), or add a policy engine "
                "beside flannel (Canal: flannel + Calico), then apply a default-deny policy per namespace.",
    needs=("kubelet", "containerd"),
)

# plugin types that implement NetworkPolicy
ENFORCING = frozenset({"calico", "cilium-cni", "cilium", "antrea", "weave-net", "weave-plugin", "kube-ovn",
                       "ovn-k8s-cni-overlay"})
KUBE_ROUTER_BRIDGE = "kube-bridge"  # kube-router chains the standard bridge plugin on its own bridge
# plugin types that only wire or address pods, and enforce nothing
NON_ENFORCING = frozenset({"bridge", "flannel", "host-local", "loopback", "portmap", "bandwidth", "ptp", "macvlan",
                           "ipvlan", "static", "dhcp", "tuning", "vlan", "host-device", "sbr", "firewall", "tap",
                           "vrf", "dummy"})


def _enforces(config: CniConfig) -> bool | None:
    if set(config.plugins) & ENFORCING or KUBE_ROUTER_BRIDGE in config.bridges:
        return True
    if config.plugins and set(config.plugins) <= NON_ENFORCING:
        return False
    return None


@register(META)
def evaluate(facts: Snapshot):
    cni = facts.containerd.cni
    if cni is None:
        return [Result.unknown(HOST, {"containerd.cni": None}, "the CNI configuration was not collected")]
    evidence = {"cni.conf_dirs": list(cni.conf_dirs)}
    if cni.unreadable_dirs:
        return [Result.unknown(HOST, {**evidence, "error": list(cni.unreadable_dirs)})]
    usable = [c for c in cni.configs if c.presence is Presence.PRESENT and c.error is None]
    if not usable:
        errors = [c.error for c in cni.configs if c.error]
        if errors:
            return [Result.unknown(HOST, {**evidence, "errors": errors}, "no CNI configuration could be read")]
        return [Result.not_applicable(HOST, evidence, "no CNI network configured: pods can only use the host network")]
    config = usable[0]  # libcni, and so the CRI plugin, uses the first configuration in file-name order
    evidence |= {"cni.config": config.path, "cni.network": config.name, "cni.plugins": list(config.plugins)}
    if config.bridges:
        evidence["cni.bridges"] = list(config.bridges)
    verdict = _enforces(config)
    if verdict is None:
        return [Result.unknown(HOST, evidence, "a plugin this check does not know")]
    return [Result.passed(HOST, evidence) if verdict else Result.failed(HOST, evidence)]
