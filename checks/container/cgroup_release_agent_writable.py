"""Container can write a cgroup v1 release_agent."""

from typing import Any

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Container, Snapshot, Status

from ._effective import capabilities, runs_as_root, shares_host_namespace
from ._lsm import apparmor_judgement, selinux_judgement
from ._subjects import Judgement, per_container

META = CheckMeta(
    id="container.cgroup_release_agent_writable",
    title="Container can write a cgroup v1 release_agent",
    severity=Severity.CRITICAL,
    scope=Scope.CONTAINER,
    references=("CVE-2022-0492", "MITRE ATT&CK T1611", "Trail of Bits: Understanding Docker container escapes (2019)"),
    rationale="On a host with cgroup v1 hierarchies, root holding CAP_SYS_ADMIN in the host user namespace and not "
              "confined by AppArmor or SELinux can mount a cgroup hierarchy, set its release_agent and "
              "notify_on_release, and have the kernel run its program as root on the host. (Without CAP_SYS_ADMIN, "
              "unpatched kernels allow the same from an unprivileged user namespace: kernel.cve_2022_0492.)",
    remediation="Drop CAP_SYS_ADMIN, keep the AppArmor/SELinux profile on, run as non-root or enable userns-remap; "
                "move the host to the cgroup v2 unified hierarchy.",
    needs=("host",),
)


def lsm_confines(facts: Snapshot, ctr: Container) -> tuple[bool, dict[str, Any]]:
    """Whether AppArmor or SELinux confines the container (either one blocks the cgroup mount)."""
    apparmor, apparmor_evidence = apparmor_judgement(facts, ctr)
    selinux, selinux_evidence = selinux_judgement(facts, ctr)
    confined = apparmor is False or selinux is False
    return confined, {**apparmor_evidence, **selinux_evidence, "lsm.confines": confined}


def judge(facts: Snapshot, ctr: Container) -> Judgement:
    host = facts.host
    evidence: dict[str, Any] = {"host.cgroup_v2_unified": host.cgroup_v2_unified,
                                "host.cgroup_v1_controllers": list(host.cgroup_v1_controllers)}
    if host.cgroup_v2_unified and not host.cgroup_v1_controllers:
        return False, evidence
    view = capabilities(facts, ctr)
    evidence |= view.evidence("SYS_ADMIN")
    if "SYS_ADMIN" not in view.names:
        return False, evidence
    confined, lsm_evidence = lsm_confines(facts, ctr)
    root, root_evidence = runs_as_root(facts, ctr)
    userns_host, userns_evidence = shares_host_namespace(facts, ctr, "user")
    evidence |= lsm_evidence | root_evidence | userns_evidence
    if confined or not root or userns_host is False:
        return False, evidence
    return (True if userns_host else Status.UNKNOWN), evidence


@register(META)
def evaluate(facts: Snapshot):
    return per_container(facts, lambda ctr: judge(facts, ctr))
