"""Container runs as root."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Snapshot

from ._effective import runs_as_root
from ._subjects import per_container

META = CheckMeta(
    id="container.runs_as_root",
    title="Container runs as root",
    severity=Severity.MEDIUM,
    scope=Scope.CONTAINER,
    cis=("4.1",),
    rationale="Almost every escape (release_agent, runc CVE-2019-5736, writable host mounts) needs root inside the "
              "container; without user-namespace remapping it is root on the host too.",
    remediation="Run as an unprivileged user (docker run --user 1000:1000, USER in the Dockerfile; Kubernetes: "
                "runAsNonRoot: true, runAsUser).",
    needs=(),
)


@register(META)
def evaluate(facts: Snapshot):
    return per_container(facts, lambda ctr: runs_as_root(facts, ctr))
