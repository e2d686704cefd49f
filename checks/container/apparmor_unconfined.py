"""Container runs without an AppArmor profile on an AppArmor host."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Snapshot

from ._lsm import apparmor_judgement
from ._subjects import per_container

META = CheckMeta(
    id="container.apparmor_unconfined",
    title="Container runs without an AppArmor profile",
    severity=Severity.HIGH,
    scope=Scope.CONTAINER,
    cis=("5.2",),
    references=("CVE-2022-0492",),
    rationale="The docker-default AppArmor profile blocks mount, writes to /proc/sys and cgroup release_agent "
              "abuse; unconfined, those escapes need only a capability.",
    remediation="Remove --security-opt apparmor=unconfined; keep docker-default or a custom profile.",
    needs=("host",),
)


@register(META)
def evaluate(facts: Snapshot):
    return per_container(facts, lambda ctr: apparmor_judgement(facts, ctr))
