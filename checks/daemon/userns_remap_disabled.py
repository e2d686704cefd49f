"""Container root is host root: no user-namespace remapping and not rootless."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.evidence import SETTING_SOURCE
from hostaudit.model import DAEMON, Result, Snapshot

from ._settings import security_options, setting

META = CheckMeta(
    id="daemon.userns_remap_disabled",
    title="Container root is host root (no userns-remap, not rootless)",
    severity=Severity.MEDIUM,
    scope=Scope.DAEMON,
    cis=("2.9",),
    references=("CVE-2019-5736",),
    rationale="Without user-namespace remapping uid 0 in a container is uid 0 on the host, so any escape or "
              "writable host mount lands as root. Rootless Docker is an even stronger form of the same control.",
    remediation="Set \"userns-remap\": \"default\" in daemon.json (disruptive: existing images and volumes are "
                "re-owned; plan it), or run Docker rootless.",
    needs=("docker_daemon",),
    ansible_key="userns_remap",
)


@register(META)
def evaluate(facts: Snapshot):
    daemon = facts.docker_daemon
    found = setting(daemon, "userns-remap", "")
    evidence = {"userns-remap": found.value, SETTING_SOURCE.name: found.source, "rootless": daemon.rootless,
                "api.security_options": security_options(daemon)}
    return [Result.passed(DAEMON, evidence) if daemon.userns_remap or daemon.rootless
            else Result.failed(DAEMON, evidence)]
