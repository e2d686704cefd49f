"""The daemon places containers under a non-default cgroup parent."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.evidence import SETTING_SOURCE
from hostaudit.model import DAEMON, Result, Snapshot

from ._settings import setting, unknown

META = CheckMeta(
    id="daemon.cgroup_parent_set",
    title="Docker daemon places containers under a non-default cgroup parent",
    severity=Severity.LOW,
    scope=Scope.DAEMON,
    cis=("2.10",),
    rationale="A custom cgroup-parent moves every container's resource limits under a cgroup whose own limits "
              "and delegation must then be reviewed; left unreviewed it can lift or share limits unexpectedly.",
    remediation="Confirm the cgroup is intended and limited; otherwise remove --cgroup-parent / \"cgroup-parent\" "
                "so containers use the default (docker / system.slice).",
    needs=("docker_daemon",),
    ansible_key="cgroup_parent",
)


@register(META)
def evaluate(facts: Snapshot):
    found = setting(facts.docker_daemon, "cgroup-parent", "")
    if not found.known:
        return unknown(found, "cgroup-parent")
    parent = found.value
    evidence = {"cgroup-parent": parent, SETTING_SOURCE.name: found.source}
    return [Result.failed(DAEMON, evidence) if parent else Result.passed(DAEMON, evidence)]
