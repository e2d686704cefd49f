"""The daemon sets no default ulimits for containers."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.evidence import SETTING_SOURCE
from hostaudit.model import DAEMON, Result, Snapshot

from ._settings import unknown, values_setting

META = CheckMeta(
    id="daemon.no_default_ulimits",
    title="Docker daemon sets no default ulimits for containers",
    severity=Severity.LOW,
    scope=Scope.DAEMON,
    cis=("2.8",),
    rationale="Without default ulimits every container inherits the daemon's limits (often very high open-file "
              "and process counts), so one container can exhaust them for the host.",
    remediation="Set \"default-ulimits\" in daemon.json (for example nofile and nproc) sized for the workloads.",
    needs=("docker_daemon",),
    ansible_key="default_ulimits",
)


@register(META)
def evaluate(facts: Snapshot):
    found = values_setting(facts.docker_daemon, "default-ulimit", "default-ulimits")
    if not found.known:
        return unknown(found, "default-ulimits")
    ulimits = found.value
    evidence = {"default-ulimits": ulimits, SETTING_SOURCE.name: found.source}
    return [Result.passed(DAEMON, evidence) if ulimits else Result.failed(DAEMON, evidence)]
