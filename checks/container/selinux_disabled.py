"""Container runs without SELinux confinement on an SELinux host."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Snapshot

from ._lsm import selinux_judgement
from ._subjects import per_container

META = CheckMeta(
    id="container.selinux_disabled",
    title="Container runs without SELinux confinement",
    severity=Severity.HIGH,
    scope=Scope.CONTAINER,
    cis=("5.3",),
    rationale="On an SELinux host the container_t type keeps a container off host files even when it escapes its "
              "mount namespace; label=disable or spc_t removes that.",
    remediation="Remove --security-opt label=disable and enable selinux-enabled in the Docker daemon.",
    needs=("host",),
)


@register(META)
def evaluate(facts: Snapshot):
    return per_container(facts, lambda ctr: selinux_judgement(facts, ctr))
