"""What is in force for a container: the /proc view when it runs, else what its runtime declares.

Where the two disagree, the effective value wins and the declared one is kept as evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hostaudit import caps
from hostaudit.model import Container, DockerDaemonFacts, Snapshot
from hostaudit.parsers import parse_kernel_release, parse_version

from ..daemon._settings import setting
from ._pods import is_pod_namespace_file, namespace_owner
from ._seccomp import DANGEROUS, ProfileView, docker_default, evaluate_profile
from ._subjects import once_per_container


@dataclass(frozen=True)
class CapabilityView:
    names: frozenset[str]
    source: str  # "/proc CapBnd" or "declared"
    declared: frozenset[str]

    def evidence(self, wanted: str | None = None) -> dict[str, Any]:
        found: dict[str, Any] = {"capabilities.source": self.source}
        if wanted is not None:
            found[f"capabilities.has_{wanted}"] = wanted in self.names
        if self.source != "declared" and self.names != self.declared:
            found["capabilities.declared_differs"] = sorted(self.declared ^ self.names)
        return found


def declared_capabilities(ctr: Container) -> frozenset[str]:
    if ctr.bounding_caps is not None:
        return frozenset(ctr.bounding_caps)
    return caps.declared(ctr.cap_add, ctr.cap_drop, ctr.privileged)


@once_per_container  # some 40 checks ask for every container
def capabilities(facts: Snapshot, ctr: Container) -> CapabilityView:
    """The capabilities any process of the container can hold: its bounding set."""
    declared = declared_capabilities(ctr)
    proc = facts.process(ctr)
    if proc is not None and proc.cap_bnd is not None:
        return CapabilityView(caps.names(proc.cap_bnd), "/proc CapBnd", declared)
    return CapabilityView(declared, "declared", declared)


def shares_host_namespace(facts: Snapshot, ctr: Container, kind: str, depth: int = 0
                          ) -> tuple[bool | None, dict[str, Any]]:
    """Whether the container is in the host's `kind` namespace: by inode when it runs, else as declared."""
    declared = ctr.namespaces.get(kind, "")
    evidence: dict[str, Any] = {f"namespaces.{kind}.declared": declared}
    proc = facts.process(ctr)
    reference = facts.host.reference_namespaces if facts.host else {}
    proc_kind = "net" if kind == "network" else kind
    if proc is not None and proc_kind in proc.namespaces and proc_kind in reference:
        evidence[f"namespaces.{kind}.effective"] = proc.namespaces[proc_kind]
        evidence["namespaces.reference"] = f"{reference[proc_kind]} ({facts.host.reference_source})"
        return proc.namespaces[proc_kind] == reference[proc_kind], evidence
    if proc is not None and proc_kind in proc.namespaces and declared != "host":
        # it runs, but the host's own namespace is unknown: what it declares cannot prove it is not shared
        evidence["namespaces.reference"] = facts.host.reference_source if facts.host else "no host facts"
        return None, evidence
    if declared == "default":
        declared = _daemon_default(facts, ctr, kind)
        evidence[f"namespaces.{kind}.daemon_default"] = declared
    if declared == "host":
        return True, evidence
    owner = namespace_owner(facts, ctr, kind) if depth < 3 else None
    if owner is not None:  # a pod container shares what its sandbox has; so does one naming another's /proc ns
        shared, owner_evidence = shares_host_namespace(facts, owner, kind, depth + 1)
        evidence[f"namespaces.{kind}.joins"] = owner.name
        evidence.update({f"joined.{k}": v for k, v in owner_evidence.items()})
        return shared, evidence
    if ctr.pod is not None and is_pod_namespace_file(declared):
        return False, evidence  # the pod's own namespace file, made by CRI
    if declared.startswith(("container:", "path:")) or declared == "default":
        return None, evidence  # joins another namespace, or depends on the daemon: only /proc can tell
    return False, evidence


def _daemon_default(facts: Snapshot, ctr: Container, kind: str) -> str:
    """What the container's dockerd does when a container leaves its user or cgroup namespace mode unset."""
    daemon = facts.docker_daemon_of(ctr)
    if kind == "user" and daemon is not None:
        return "private" if daemon.userns_remap or daemon.rootless else "host"
    if kind == "cgroup" and facts.host is not None:
        configured = setting(daemon, "default-cgroupns-mode").value if daemon else None
        if configured in ("host", "private"):
            return configured
        return "private" if facts.host.cgroup_v2_unified else "host"
    return "default"


def seccomp_disabled(facts: Snapshot, ctr: Container) -> tuple[bool, dict[str, Any]]:
    evidence: dict[str, Any] = {"seccomp.declared": ctr.seccomp}
    proc = facts.process(ctr)
    if proc is not None and proc.seccomp_mode is not None:
        evidence["seccomp.proc_mode"] = proc.seccomp_mode
        return proc.seccomp_mode == 0, evidence
    return ctr.seccomp == "unconfined", evidence


def daemon_seccomp_profile(daemon: DockerDaemonFacts | None) -> str | None:
    """The profile a dockerd puts in place of Docker's default (`seccomp-profile`), when one is set."""
    if daemon is None:
        return None
    value = setting(daemon, "seccomp-profile").value
    return value if isinstance(value, str) and value not in ("", "builtin") else None


def seccomp_in_force(facts: Snapshot, ctr: Container) -> tuple[ProfileView | bool | None, dict[str, Any]]:
    """The container's effective seccomp filter, as the dangerous syscalls it lets through: a view of its own profile
    or of Docker's default for its capabilities; True when no filter applies; None when the profile's content is
    not recorded (a custom one, or the daemon's replacement of Docker's default); with evidence saying which (the
    caller's own copy)."""
    view, evidence = _seccomp_filter(facts, ctr)
    return view, dict(evidence)


@once_per_container  # the dangerous-syscalls check and each io_uring CVE ask for every container
def _seccomp_filter(facts: Snapshot, ctr: Container) -> tuple[ProfileView | bool | None, dict[str, Any]]:
    disabled, evidence = seccomp_disabled(facts, ctr)
    if disabled:
        evidence |= {"seccomp.profile": "none (see container.seccomp_unconfined)", "seccomp.allows": list(DANGEROUS)}
        return True, evidence
    caps = capabilities(facts, ctr).names
    kernel = parse_kernel_release(facts.host.kernel_release) if facts.host else None
    if ctr.seccomp_profile is not None:
        evidence["seccomp.profile"] = "from the container's spec"
        return evaluate_profile(ctr.seccomp_profile, caps, kernel), evidence
    if ctr.source == "docker" and ctr.seccomp == "default":
        daemon_profile = daemon_seccomp_profile(facts.docker_daemon_of(ctr))
        if daemon_profile is not None:
            evidence["seccomp.daemon_profile"] = daemon_profile
            return (True if daemon_profile == "unconfined" else None), evidence
        daemon = facts.docker_daemon_of(ctr)
        version = parse_version(((daemon.version or {}).get("Version")) if daemon else None)
        evidence["seccomp.profile"] = "Docker's default (built in, for the container's capabilities)"
        return docker_default(caps, kernel, version), evidence
    evidence["seccomp.profile"] = "custom, content not in the runtime's record"
    return None, evidence


def runs_as_root(facts: Snapshot, ctr: Container) -> tuple[bool, dict[str, Any]]:
    evidence: dict[str, Any] = {"user.declared": ctr.user or "(image default: root unless the image sets USER)"}
    proc = facts.process(ctr)
    if proc is not None and len(proc.uid) >= 2:
        evidence["user.proc_uid"] = proc.uid[1]
        return proc.uid[1] == 0, evidence
    user = ctr.user.split(":", 1)[0].strip()
    return user in ("", "0", "root"), evidence


def no_new_privileges(facts: Snapshot, ctr: Container) -> tuple[bool, dict[str, Any]]:
    """Whether no_new_privs is set: /proc NoNewPrivs, else the container's option or the daemon's default."""
    evidence: dict[str, Any] = {"no_new_privileges.declared": ctr.no_new_privileges}
    proc = facts.process(ctr)
    if proc is not None and proc.no_new_privs is not None:
        evidence["no_new_privileges.proc"] = proc.no_new_privs
        return proc.no_new_privs, evidence
    daemon = facts.docker_daemon_of(ctr)
    if ctr.source == "docker" and daemon is not None:
        default = setting(daemon, "no-new-privileges", False).value is True
        evidence["no_new_privileges.daemon_default"] = default
        return ctr.no_new_privileges or default, evidence
    return ctr.no_new_privileges, evidence
