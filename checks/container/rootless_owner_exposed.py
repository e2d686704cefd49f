"""Container root is the rootless engine's user on the host."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Snapshot, Status

from ._subjects import per_container

META = CheckMeta(
    id="container.rootless_owner_exposed",
    title="Container root is the rootless engine's user on the host",
    severity=Severity.LOW,
    scope=Scope.CONTAINER,
    references=("CIS Docker Benchmark 1.7.0 2.1 (rootless mode)",),
    rationale="A rootless engine maps container root to its user, so an escape lands as that user, not as host "
              "root: a real mitigation. What it cannot protect stays exposed: that user's own files, the user's "
              "engine socket (and through it every other container of that user), and anything --privileged "
              "grants inside the user namespace.",
    remediation="Run the engine as a dedicated user that owns nothing else (no login, no SSH keys, no other "
                "services), keep its socket out of containers, and do not run --privileged even when rootless.",
    needs=(),
)


@register(META)
def evaluate(facts: Snapshot):
    def judge(ctr):
        evidence = {"engine": ctr.source, "engine.user": ctr.owner or "(unknown)", "engine.uid": ctr.owner_uid}
        return (True if ctr.rootless else Status.NOT_APPLICABLE), evidence

    return per_container(facts, judge)
