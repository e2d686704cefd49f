"""Container's seccomp profile lets escape-relevant syscalls through."""

from __future__ import annotations

from typing import Any

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Container, Snapshot, Status
from hostaudit.parsers import parse_kernel_release, parse_version

from ._effective import capabilities, docker_daemon_seccomp_profile, seccomp_disabled
from ._seccomp import DANGEROUS, ProfileView, docker_default, evaluate_profile
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
    disabled, evidence = seccomp_disabled(facts, ctr)
    if disabled:
        evidence |= {"seccomp.profile": "none (see container.seccomp_unconfined)", "seccomp.allows": list(DANGEROUS)}
        return True, evidence
    caps = capabilities(facts, ctr).names
    kernel = parse_kernel_release(facts.host.kernel_release) if facts.host else None
    if ctr.seccomp_profile is not None:
        evidence["seccomp.profile"] = "from the container's spec"
        return _verdict(evaluate_profile(ctr.seccomp_profile, caps, kernel), evidence)
    if ctr.source == "docker" and ctr.seccomp == "default":
        daemon_profile = docker_daemon_seccomp_profile(facts)
        if daemon_profile is not None:
            evidence["seccomp.daemon_profile"] = daemon_profile
            if daemon_profile == "unconfined":
                return True, evidence
            return Status.UNKNOWN, evidence  # the daemon's own default profile is not collected
        version = parse_version(((facts.docker_daemon.version or {}).get("Version")) if facts.docker_daemon else None)
        evidence["seccomp.profile"] = "Docker's default (built in, for the container's capabilities)"
        return _verdict(docker_default(caps, kernel, version), evidence)
    evidence["seccomp.profile"] = "custom, content not in the runtime's record"
    return None, evidence


@register(META)
def evaluate(facts: Snapshot):
    return per_container(facts, lambda ctr: judge(facts, ctr))
