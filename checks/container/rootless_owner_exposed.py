"""Container root is the rootless engine's user on the host.

Passes only for a rootless container whose running process /proc shows outside that user's powers: a subordinate
uid, no capabilities, no_new_privs."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.evidence import ENGINE_USER
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
              "grants inside the user namespace. It passes only when /proc shows the container's process under a "
              "subordinate uid with no capabilities and no_new_privs.",
    remediation="Run the engine as a dedicated user that owns nothing else (no login, no SSH keys, no other "
                "services), keep its socket out of containers, and do not run --privileged even when rootless.",
    needs=(),
)


def _holds_no_user_power(facts: Snapshot, ctr, evidence: dict) -> bool:
    """Whether /proc shows the container's process outside the engine user's powers: every uid a subordinate one
    (not the user's), no capabilities, and no_new_privs (no setuid way back to container root, the user)."""
    proc = facts.process(ctr)
    if proc is None or not proc.uid or proc.cap_eff is None or proc.cap_prm is None or proc.no_new_privs is None:
        return False  # not read: the engine's user is what container root would be
    evidence |= {"proc.uid": list(proc.uid), "proc.cap_eff": proc.cap_eff, "proc.no_new_privs": proc.no_new_privs}
    return ctr.owner_uid not in proc.uid and proc.cap_eff == 0 and proc.cap_prm == 0 and proc.no_new_privs


@register(META)
def evaluate(facts: Snapshot):
    def judge(ctr):
        evidence = {"engine": ctr.source, ENGINE_USER.name: ctr.owner or "(unknown)", "engine.uid": ctr.owner_uid}
        if not ctr.rootless:
            return Status.NOT_APPLICABLE, evidence
        return not _holds_no_user_power(facts, ctr, evidence), evidence

    return per_container(facts, judge)
