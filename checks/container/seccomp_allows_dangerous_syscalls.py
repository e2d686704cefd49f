"""Container's seccomp profile lets escape-relevant syscalls through."""

from __future__ import annotations

from typing import Any

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Container, Snapshot

from ._effective import seccomp_in_force
from ._seccomp import ProfileView
from ._subjects import Judgement, per_container

META = CheckMeta(
    id="container.seccomp_allows_dangerous_syscalls",
    title="Container's seccomp profile lets escape-relevant syscalls through",
    severity=Severity.HIGH,
    scope=Scope.CONTAINER,
    cis=("5.22",),
    references=("CVE-2022-0185", "CVE-2022-0492", "CVE-2021-22555", "MITRE ATT&CK T1611"),
    rationale="A seccomp filter is only as good as its rules: a profile that allows by default, or allows mount, "
              "unshare, setns, clone with namespace flags, bpf, keyctl, userfaultfd, open_by_handle_at or module "
              "loading, leaves the kernel interfaces most container escapes start from. The runtime default blocks "
              "them unless a matching capability is added.",
    remediation="Use the runtime's default profile (Docker's default; Kubernetes: seccompProfile: {type: "
                "RuntimeDefault}) or a custom profile with defaultAction SCMP_ACT_ERRNO that allows none of the "
                "listed syscalls; drop the capabilities that open them.",
    needs=(),
)


def _verdict(view: ProfileView, evidence: dict[str, Any]) -> Judgement:
    evidence |= {"seccomp.default_action": view.default_action, "seccomp.allows": list(view.allowed)}
    if view.stricter:
        evidence["seccomp.stricter_than_default"] = list(view.stricter)
    if view.allows_by_default:
        evidence["seccomp.allow_by_default"] = True
        return True, evidence
    weaker = view.weaker_than_default
    if weaker:
        evidence["seccomp.beyond_runtime_default"] = list(weaker)
    return bool(weaker), evidence


def judge(facts: Snapshot, ctr: Container) -> Judgement:
    view, evidence = seccomp_in_force(facts, ctr)
    if isinstance(view, ProfileView):
        return _verdict(view, evidence)
    return view, evidence  # True: no filter at all; None: its content is not recorded


@register(META)
def evaluate(facts: Snapshot):
    return per_container(facts, lambda ctr: judge(facts, ctr))
