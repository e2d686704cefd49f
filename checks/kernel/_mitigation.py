"""Whether a vulnerable kernel's exploit path is closed on this host, and by what.

Counted as closed, host-wide or for every container now and for one started with the runtime's defaults:
- every module of one requirement (e.g. algif_aead for Copy Fail) cannot load: not loaded, not built in, and
  blocked in modprobe.d (`install <mod> /bin/false`, `blacklist <mod>`) or not built for this kernel at all;
- a user-namespace or cgroup-v1 precondition no container meets (unprivileged user namespaces off, seccomp blocking
  the new namespace as the runtime default does, cgroup v1 not mounted), as the reachability judgement says;
- the socket family the exploit opens (or the syscall it starts from: io_uring_setup) is denied by the seccomp
  profile of every container and by the runtime's default profile (Docker's denies AF_VSOCK, and io_uring from
  Docker 25.0; containerd's RuntimeDefault denies io_uring from 2.0);
- io_uring is off host-wide (`kernel.io_uring_disabled=2`), or for every container without CAP_SYS_ADMIN (`=1`
  with no `kernel.io_uring_group`).
A closed path turns a vulnerable version into a pass whose evidence says "mitigated by"; an open one lists the
containers that reach it.
"""

from __future__ import annotations

from dataclasses import dataclass

from hostaudit.cves import Cve
from hostaudit.model import Container, KernelModules, Snapshot
from hostaudit.parsers import parse_kernel_release, parse_version

from ..container._effective import (
    capabilities,
    daemon_seccomp_profile,
    seccomp_disabled,
    seccomp_in_force,
)
from ..container._seccomp import DOCKER_DEFAULT_DENIED_FAMILIES, ProfileView, family_name, socket_family_allowed
from ..container._subjects import audited

# precondition kinds whose "no container meets it" holds for a container started with the runtime's defaults
CLOSED_BY_DEFAULTS = ("cap_net_admin_userns", "cap_sys_admin_userns", "cgroup_v1", "fuse_userns")


# the releases whose default seccomp profile denies io_uring: moby/moby#46762 (Docker 25.0), containerd#9320 (2.0)
IO_URING_DENIED_BY_DEFAULT = {"docker": (25,), "containerd": (2,)}
IO_URING = "io_uring_setup"


@dataclass(frozen=True)
class FamilyReach:
    family: str  # what the filter is asked about: a socket family or a syscall
    allowed: tuple[str, ...]  # containers whose seccomp lets them open the family
    unknown: tuple[str, ...]  # containers whose profile cannot tell
    default_denies: bool  # the runtime's default profile denies it


def _module_blocked(modules: KernelModules, name: str) -> tuple[bool | None, str]:
    """Whether `name` cannot be loaded on this host (True), can (False), or the facts cannot tell (None)."""
    if modules.loaded is None:
        return None, "loaded modules unreadable"
    if name in modules.loaded:
        return False, f"{name} is loaded"
    if modules.builtin is not None and name in modules.builtin:
        return False, f"{name} is built into the kernel"
    if modules.builtin is None:
        return None, f"whether {name} is built into the kernel is unknown (no modules.builtin)"
    if name in modules.blocked:
        return True, f"{name} blocked by {modules.blocked[name]}, not loaded, not built in"
    if modules.available is not None and name not in modules.available:
        return True, f"{name} is not built for this kernel"
    return False, f"{name} loads on demand"


def modules_closed(facts: Snapshot, cve: Cve) -> tuple[list[str], list[str]]:
    """(what closes the path, what keeps it open) from the CVE's module requirements."""
    modules = facts.host.kernel_modules if facts.host else None
    if not cve.modules:
        return [], []
    if modules is None:
        return [], ["kernel module facts were not collected"]
    closed, open_ = [], []
    for group in cve.modules:
        states = [_module_blocked(modules, name) for name in group]
        if all(state is True for state, _ in states):
            closed += [why for _, why in states]
        else:
            open_ += [why for state, why in states if state is not True]
    return closed, open_


def family_allowed(facts: Snapshot, ctr: Container, family: int) -> bool | None:
    """Whether the container's effective seccomp filter lets it open a socket of `family`."""
    if seccomp_disabled(facts, ctr)[0]:
        return True
    if ctr.seccomp_profile is not None:
        kernel = parse_kernel_release(facts.host.kernel_release) if facts.host else None
        return socket_family_allowed(ctr.seccomp_profile, family, capabilities(facts, ctr).names, kernel)
    if ctr.source == "docker" and ctr.seccomp == "default":
        daemon_profile = daemon_seccomp_profile(facts.docker_daemon_of(ctr))
        if daemon_profile == "unconfined":
            return True
        return None if daemon_profile is not None else family not in DOCKER_DEFAULT_DENIED_FAMILIES
    return None  # a custom profile whose content the runtime did not record


def family_reach(facts: Snapshot, family: int) -> FamilyReach:
    verdicts = {c.name: family_allowed(facts, c, family) for c in audited(facts)}
    default_denies = family in DOCKER_DEFAULT_DENIED_FAMILIES and all(
        daemon_seccomp_profile(daemon) is None for daemon in facts.docker_daemons)
    return FamilyReach(family_name(family), tuple(sorted(n for n, v in verdicts.items() if v is True)),
                       tuple(sorted(n for n, v in verdicts.items() if v is None)), default_denies)




def syscall_allowed(facts: Snapshot, ctr: Container, syscall: str) -> bool | None:
    """Whether the container's effective seccomp filter lets it call `syscall` (one of _seccomp.DANGEROUS)."""
    view = seccomp_in_force(facts, ctr)[0]
    return syscall in view.allowed if isinstance(view, ProfileView) else view


def io_uring_sysctl(facts: Snapshot) -> tuple[str | None, str]:
    """How `kernel.io_uring_disabled` limits io_uring: "all" (2), "sys_admin" (1, no io_uring_group: only
    CAP_SYS_ADMIN), or None (enabled, group-gated or unreadable), with the sysctl as read."""
    sysctls = facts.host.sysctls if facts.host else {}
    disabled, group = sysctls.get("kernel.io_uring_disabled"), sysctls.get("kernel.io_uring_group")
    if disabled == "2":
        return "all", "kernel.io_uring_disabled=2"
    if disabled == "1" and group == "-1":
        return "sys_admin", "kernel.io_uring_disabled=1, kernel.io_uring_group=-1"
    return None, f"kernel.io_uring_disabled={disabled}" if disabled is not None else "kernel.io_uring_disabled unread"


def _io_uring_defaults_deny(facts: Snapshot) -> bool:
    """Every runtime on the host denies io_uring in its default seccomp profile (and at least one runs)."""
    found = []
    for daemon in (d for d in facts.docker_daemons if d.version):
        version = parse_version(daemon.version.get("Version"))
        found.append(version is not None and version >= IO_URING_DENIED_BY_DEFAULT["docker"]
                     and daemon_seccomp_profile(daemon) is None)
    for instance in facts.containerd.instances if facts.containerd else ():
        if instance.version:
            version = parse_version(instance.version)
            found.append(version is not None and version >= IO_URING_DENIED_BY_DEFAULT["containerd"])
    return bool(found) and all(found)


def syscall_reach(facts: Snapshot, syscall: str) -> FamilyReach:
    """Which containers can call `syscall`; for io_uring, after what kernel.io_uring_disabled leaves them."""
    limit = io_uring_sysctl(facts)[0] if syscall == IO_URING else None
    verdicts = {}
    for ctr in audited(facts):
        allowed = syscall_allowed(facts, ctr, syscall)
        if limit == "all" or (limit == "sys_admin" and "SYS_ADMIN" not in capabilities(facts, ctr).names):
            allowed = False
        verdicts[ctr.name] = allowed
    default_denies = syscall == IO_URING and (limit == "all" or _io_uring_defaults_deny(facts))
    return FamilyReach(syscall, tuple(sorted(n for n, v in verdicts.items() if v is True)),
                       tuple(sorted(n for n, v in verdicts.items() if v is None)), default_denies)
