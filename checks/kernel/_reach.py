"""Whether a CVE's precondition is reachable from the containers on this host, and why.

Each precondition kind of the CVE data file (`hostaudit/data/cves.json`) maps to one judgement over the snapshot:
True/False with the reason, or None when the facts cannot tell.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hostaudit.model import CollectorState, Container, Snapshot

from ..container._effective import capabilities, runs_as_root, seccomp_disabled, shares_host_namespace
from ..container._gpu import gpu_access
from ..container._lsm import apparmor_judgement, selinux_judgement
from ..container._subjects import audited
from ..daemon._settings import authorization_setting

Reach = tuple[bool | None, str]


def _names(containers: list[Container]) -> str:
    return ", ".join(sorted(c.name for c in containers))


def _holding(facts: Snapshot, capability: str) -> list[Container]:
    return [c for c in audited(facts) if capability in capabilities(facts, c).names]


def unprivileged_userns(facts: Snapshot) -> tuple[bool | None, str]:
    """Whether unprivileged processes may create user namespaces, from the sysctls that gate it."""
    sysctls = facts.host.sysctls if facts.host else {}
    for name, closed in (("kernel.unprivileged_userns_clone", "0"), ("user.max_user_namespaces", "0"),
                         ("kernel.apparmor_restrict_unprivileged_userns", "1")):
        if sysctls.get(name) == closed:
            return False, f"{name}={closed}"
    if sysctls.get("user.max_user_namespaces") is not None:
        return True, f"user.max_user_namespaces={sysctls['user.max_user_namespaces']}"
    return None, "user namespace sysctls unreadable"


def _in_userns(facts: Snapshot, capability: str, candidates: list[Container] | None = None) -> Reach:
    """`capability` held by a container (of `candidates`, by default all), or gained in a new user namespace it is
    allowed to create."""
    containers = audited(facts) if candidates is None else candidates
    holders = [c for c in containers if capability in capabilities(facts, c).names]
    if holders:
        return True, f"CAP_{capability} held by {_names(holders)}"
    unconfined = [c for c in containers if seccomp_disabled(facts, c)[0]]
    userns, sysctl = unprivileged_userns(facts)
    if not unconfined:
        return False, f"no container holds CAP_{capability}, and the seccomp profile of every container " \
                      "blocks creating a user namespace"
    if userns is None:
        return None, f"no container holds CAP_{capability}; {_names(unconfined)} run without seccomp, and " \
                     f"whether unprivileged user namespaces are enabled is unknown ({sysctl})"
    if userns:
        return True, f"{_names(unconfined)} run without seccomp and unprivileged user namespaces are enabled " \
                     f"({sysctl}): CAP_{capability} in a new user namespace"
    return False, f"no container holds CAP_{capability}, and unprivileged user namespaces are disabled ({sysctl})"


def _lsm_confined(facts: Snapshot, ctr: Container) -> bool:
    """AppArmor (docker-default) or enforcing SELinux confines the container: both deny mounting cgroupfs."""
    apparmor = apparmor_judgement(facts, ctr)[0] is False
    selinux = selinux_judgement(facts, ctr)[0] is False and facts.host.selinux_mode == "enforcing"
    return apparmor or selinux


def _cgroup_v1(facts: Snapshot) -> Reach:
    if facts.host is None or facts.host.cgroup_v2_unified or not facts.host.cgroup_v1_controllers:
        return False, "cgroup v1 is not mounted"
    mounted = f"cgroup v1 is mounted ({', '.join(facts.host.cgroup_v1_controllers)})"
    unconfined = [c for c in audited(facts) if not _lsm_confined(facts, c)]
    if not unconfined:
        return False, f"{mounted}; AppArmor or SELinux confines every container (no cgroupfs mount)"
    reach, why = _in_userns(facts, "SYS_ADMIN", unconfined)
    return reach, f"{mounted}; {why}"


def _fuse_userns(facts: Snapshot) -> Reach:
    """A FUSE mount in a user namespace (CVE-2023-0386) needs /dev/fuse in the container."""
    with_fuse = [c for c in audited(facts) if c.privileged or "/dev/fuse" in c.devices]
    if not with_fuse:
        return False, "no container has /dev/fuse"
    reach, why = _in_userns(facts, "SYS_ADMIN", with_fuse)
    return reach, f"/dev/fuse in {_names(with_fuse)}; {why}"


def _any_container(facts: Snapshot, how: str) -> Reach:
    containers = audited(facts)
    if not containers:
        return False, "no containers on this host"
    return True, f"{how} ({len(containers)} containers)"


def _host_network_root(facts: Snapshot) -> Reach:
    found = [c for c in audited(facts)
             if shares_host_namespace(facts, c, "network")[0] and runs_as_root(facts, c)[0]]
    if found:
        return True, f"{_names(found)} run as uid 0 in the host network namespace"
    return False, "no container runs as uid 0 in the host network namespace"


def _cri(facts: Snapshot) -> Reach:
    pods = [c for c in audited(facts) if c.pod is not None]
    if pods:
        return True, f"pods run through the CRI plugin: {_names(pods)}"
    return False, "no pod runs through containerd's CRI plugin"


def authorization_plugins(facts: Snapshot) -> list[str]:
    """The authorization plugins of every audited dockerd, as each API reports them or as configured."""
    found = set()
    for daemon in facts.docker_daemons:
        configured = authorization_setting(daemon).value
        found.update(str(p) for p in ([configured] if isinstance(configured, str) else configured or []))
    return sorted(found)


def _authz(facts: Snapshot) -> Reach:
    plugins = authorization_plugins(facts)
    if plugins:
        return True, f"authorization plugins in use: {', '.join(plugins)}"
    if any(daemon.info is None for daemon in facts.docker_daemons):
        return None, "a Docker API is unreachable: its authorization plugins are unknown"
    return False, "no authorization plugin is configured"


def _gpu(facts: Snapshot) -> Reach:
    found = [c for c in audited(facts) if gpu_access(c)[0]]
    if found:
        return True, f"GPU containers: {_names(found)}"
    return False, "no container uses the NVIDIA toolkit (runtime, --gpus device requests, hooks or devices)"


def _dev_not_mounted(facts: Snapshot) -> Reach:
    """A container whose configuration gives /dev no mount of its own (crun's /dev/console and /dev/null symlink
    bugs). Docker always mounts a fresh tmpfs there; an OCI spec says so in its mounts, and a spec with no mounts at
    all was not read."""
    exposed, unread = [], []
    for ctr in audited(facts):
        if ctr.source == "docker":
            continue
        if not ctr.mounts:
            unread.append(ctr)
        elif not any(m.destination.rstrip("/") == "/dev" for m in ctr.mounts):
            exposed.append(ctr)
    if exposed:
        return True, f"no /dev mount in the configuration of {_names(exposed)}"
    if unread:
        return None, f"the mounts of {_names(unread)} could not be read"
    return False, "every container has its own /dev mount"


def _krun_handler(facts: Snapshot) -> Reach:
    found = [c for c in audited(facts) if c.annotations.get("run.oci.handler") == "krun" or "krun" in c.runtime]
    if found:
        return True, f"run through crun's krun handler: {_names(found)}"
    return False, "no container names the krun handler (run.oci.handler=krun annotation or a krun runtime)"


NOT_FROM_CONTAINERS = ("container_create", "host_user", "untrusted_build")
JUDGEMENTS: dict[str, Callable[[Snapshot], Reach]] = {
    "none": lambda f: _any_container(f, "any process in a container can trigger it"),
    "cap_net_admin_userns": lambda f: _in_userns(f, "NET_ADMIN"),
    "cap_sys_admin_userns": lambda f: _in_userns(f, "SYS_ADMIN"),
    "cgroup_v1": _cgroup_v1,
    "fuse_userns": _fuse_userns,
    "cap_net_raw": lambda f: _in_userns(f, "NET_RAW"),
    "untrusted_image": lambda f: _any_container(f, "a container from a crafted image triggers it"),
    "container_create": lambda f: (False, "needs the right to create containers with chosen mounts, "
                                          "not a foothold in a running one"),
    "host_network_root": _host_network_root,
    "cri": _cri,
    "docker_cp": lambda f: _any_container(f, "an administrator running docker cp on a compromised container"),
    "host_user": lambda f: (False, "exploited by unprivileged users on the host, not from inside a container"),
    "authz_plugin": _authz,
    "untrusted_build": lambda f: (False, "needs a build of an untrusted Dockerfile or frontend, "
                                         "not a running container"),
    "gpu_container": _gpu,
    "dev_not_mounted": _dev_not_mounted,
    "krun_handler": _krun_handler,
}


def reachability(facts: Snapshot, kind: str) -> dict[str, Any]:
    """Evidence: `reachable_from_containers` (True/False/None) and why."""
    status = facts.collectors.get("containers")
    if status is not None and status.state is CollectorState.ERROR and kind not in NOT_FROM_CONTAINERS:
        return {"reachable_from_containers": None, "reachable_why": f"container facts unavailable: {status.message}"}
    reach, why = JUDGEMENTS[kind](facts)
    return {"reachable_from_containers": reach, "reachable_why": why}
