"""The daemon pulls from registries without TLS verification."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.evidence import SETTING_SOURCE
from hostaudit.model import DAEMON, Result, Snapshot

from ._settings import info_value, values_setting

META = CheckMeta(
    id="daemon.insecure_registries",
    title="Docker daemon trusts insecure registries",
    severity=Severity.MEDIUM,
    scope=Scope.DAEMON,
    cis=("2.5",),
    references=("MITRE ATT&CK T1195.002",),
    rationale="Images from an insecure registry travel without TLS verification: anyone on the path can swap "
              "the image the host runs.",
    remediation="Remove --insecure-registry flags and \"insecure-registries\" from daemon.json; give the "
                "registry a certificate (a private CA goes in /etc/docker/certs.d/<registry>/ca.crt).",
    needs=("docker_daemon",),
    ansible_key="insecure_registries",
)
DEFAULT_INSECURE = "127.0.0.0/8"  # dockerd always trusts loopback registries


@register(META)
def evaluate(facts: Snapshot):
    daemon = facts.docker_daemon
    found = values_setting(daemon, "insecure-registry", "insecure-registries")
    configured, source = found.value, found.source
    registry = info_value(daemon, "RegistryConfig") or {}
    cidrs = [c for c in registry.get("InsecureRegistryCIDRs") or [] if c != DEFAULT_INSECURE]
    indexes = sorted(name for name, index in (registry.get("IndexConfigs") or {}).items()
                     if isinstance(index, dict) and index.get("Secure") is False)
    evidence = {"configured": configured, SETTING_SOURCE.name: source, "api.insecure_registry_cidrs": cidrs,
                "api.insecure_indexes": indexes}
    if configured or cidrs or indexes:
        return [Result.failed(DAEMON, evidence)]
    if not found.known:
        return [Result.unknown(DAEMON, {**evidence, **found.evidence}, found.detail)]
    return [Result.passed(DAEMON, evidence)]
