"""Per-container escape verdicts: the results of named flat checks combined into escape techniques.

The analysis reads check results only (by check id, per container subject, plus host- and daemon-level results such
as a vulnerable kernel or a TCP API without TLS); it never reads facts again. A container is
- `escapable` when every precondition of a direct technique holds (root on the host with no further bug or help),
- `weakened` when defence layers are gone (seccomp or LSM off, root without a user namespace, dangerous but not
  directly usable capabilities, host namespaces...) or a technique needs an extra step (a host action, a CVE exploit),
- `contained` otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from hostaudit.evidence import (
    ENGINE_USER,
    HOST_USERNS,
    MOUNT_RW,
    REACHABLE_CONTAINERS,
    ROOTLESS_SOCKET_USER,
    TCP_WITHOUT_TLSVERIFY,
    EvidenceKey,
)
from hostaudit.model import DAEMON, Result, Status, Subject
from hostaudit.report import EscapePath, EscapeVerdict

ESCAPABLE, WEAKENED, CONTAINED = "escapable", "weakened", "contained"
DIRECT, CONDITIONAL, WEAKENING = "direct", "conditional", "weakening"
ROOT = "container.runs_as_root"
ROOTLESS = "container.rootless_owner_exposed"
T = TypeVar("T")


@dataclass(frozen=True)
class Results:
    """The results the verdict of one container reads: its own, by check id, and the host's and daemon's."""

    own: dict[str, Result]
    host: dict[str, Result]  # the host's results and those of the endpoint's dockerd (subject key `daemon`)
    subject: Subject | None = None
    # every audited dockerd's own results, by its subject: a container reaches any of their APIs, not only its own's
    daemons: tuple[tuple[Subject, dict[str, Result]], ...] = ()

    def failed(self, check_id: str) -> bool:
        found = self.own.get(check_id) or self.host.get(check_id)
        return found is not None and found.status is Status.FAIL

    def passed(self, check_id: str) -> bool:
        found = self.own.get(check_id) or self.host.get(check_id)
        return found is not None and found.status is Status.PASS

    def evidence(self, check_id: str) -> dict:
        found = self.own.get(check_id) or self.host.get(check_id)
        return found.evidence if found is not None else {}

    def read(self, key: EvidenceKey[T], check_id: str) -> T | None:
        """`key` of the result of `check_id`, which must be a check declared to write it (hostaudit.evidence)."""
        if not key.written_by(check_id):
            raise ValueError(f"{check_id} is not declared to write the evidence key {key.name}")
        return key.read(self.evidence(check_id))


Condition = Callable[[Results], bool]


@dataclass(frozen=True)
class Technique:
    name: str
    requires: tuple[str, ...]  # check ids that must all fail
    any_of: tuple[str, ...] = ()  # and at least one of these, when given
    when: Condition | None = None  # and this, over the same results
    supporting: tuple[str, ...] = ()  # further failing checks worth showing in the chain of evidence
    # the user a rootless engine limits it to, if any: the technique then lands as that user, not host root
    lands_as: Callable[[Results], str | None] | None = None

    def holds(self, results: Results) -> bool:
        return (all(results.failed(c) for c in self.requires)
                and (not self.any_of or any(results.failed(c) for c in self.any_of))
                and (self.when is None or self.when(results)))

    def chain(self, results: Results) -> tuple[str, ...]:
        ids = [*self.requires, *self.any_of, *self.supporting]
        return tuple(link(c, results) for c in dict.fromkeys(ids) if results.failed(c))


def link(check_id: str, results: Results, limit: int = 240) -> str:
    """One step of a chain of evidence: "check_id: key=value, ..." from the result's evidence."""
    text = ", ".join(f"{k}={v}" for k, v in results.evidence(check_id).items())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return f"{check_id}: {text}" if text else check_id


def _host_root_rw(results: Results) -> bool:
    return results.read(MOUNT_RW, "container.host_root_mounted") is True


def _tcp_api_reachable(results: Results) -> bool:
    """Host network reaches any listener; a bridge reaches one bound beyond loopback (through the gateway)."""
    if results.failed("container.host_network"):
        return True
    exposed = results.read(TCP_WITHOUT_TLSVERIFY, "daemon.tcp_without_tls") or []
    return any(not str(item).startswith(("127.", "localhost", "[::1]", "::1")) for item in exposed)


def _engine_user(results: Results) -> str | None:
    """The rootless engine's user the container runs under, if it does: its runtime powers are that user's (at
    most; the check passes when even those are out of reach)."""
    rootless = results.failed(ROOTLESS) or results.passed(ROOTLESS)
    return str(results.read(ENGINE_USER, ROOTLESS)) if rootless else None


def _socket_engine_user(results: Results) -> str | None:
    """The user of the rootless engine whose socket is mounted: its API gives that user's powers, not root's."""
    user = results.read(ROOTLESS_SOCKET_USER, "container.docker_socket_mounted")
    return str(user) if user else None


def _no_lsm(results: Results) -> bool:
    return not results.passed("container.apparmor_unconfined") and not results.passed("container.selinux_disabled")


DIRECT_TECHNIQUES = (
    Technique("runtime API socket: start a privileged sibling container with the host's / mounted",
              ("container.docker_socket_mounted",), lands_as=_socket_engine_user),
    Technique("privileged: every capability and device, no seccomp, AppArmor or masked paths",
              ("container.privileged",), supporting=("container.device_cgroup_allow_all",
                                                     "container.cgroup_release_agent_writable"), lands_as=_engine_user),
    Technique("host / mounted read-write: rewrite host files (cron, systemd units, /etc/shadow)",
              ("container.host_root_mounted",), when=_host_root_rw, lands_as=_engine_user),
    Technique("cgroup v1 release_agent (CVE-2022-0492 path): CAP_SYS_ADMIN, no AppArmor/SELinux, root",
              ("container.cgroup_release_agent_writable", "container.cap_sys_admin"),
              supporting=("container.apparmor_unconfined", "container.selinux_disabled"), lands_as=_engine_user),
    Technique("ptrace into host processes: CAP_SYS_PTRACE in the host PID namespace",
              ("container.ptrace_host_pid",), supporting=("container.cap_sys_ptrace", "container.host_pid"),
              lands_as=_engine_user),
    Technique("shocker: open_by_handle_at reads (and with DAC_OVERRIDE writes) any host file",
              ("container.cap_dac_read_search", ROOT), lands_as=_engine_user),
    Technique("kernel module: CAP_SYS_MODULE loads code into the host kernel", ("container.cap_sys_module", ROOT),
              lands_as=_engine_user),
    Technique("kernel usermode helper: core_pattern, modprobe, uevent_helper or binfmt_misc runs a container file "
              "as host root", ("container.usermode_helper_writable",),
              supporting=("container.proc_sys_writable", "container.sysfs_writable"), lands_as=_engine_user),
    Technique("raw host device: mount or rewrite the host's disk or memory", (ROOT,),
              any_of=("container.block_device_exposed", "container.memory_device_exposed"), lands_as=_engine_user),
    Technique("device cgroup allow-all: mknod the host's disk and mount it",
              ("container.device_cgroup_allow_all", ROOT), lands_as=_engine_user),
    Technique("read-write lxcfs: rewrite the devices cgroup, then open host disks", ("container.lxcfs_writable", ROOT),
              lands_as=_engine_user),
)
# judged once per audited dockerd (`_tcp_api_paths`): the API reached is that daemon's, with its owner's powers
TCP_API = Technique("Docker API on TCP without TLS reachable from the container", ("daemon.tcp_without_tls",),
                    when=_tcp_api_reachable, supporting=("container.host_network",))


def direct_techniques() -> tuple[Technique, ...]:
    """Every technique that is an escape by itself: the container's own, and the TCP API of any dockerd."""
    return (*DIRECT_TECHNIQUES, TCP_API)

# Kernel and runtime CVEs (host- or daemon-level results) an attacker in the container can use alone, given the
# container-side preconditions named here. Other CVEs of those families need a host action (an exec, a crafted
# image) or an exploit chain: they count as conditional for containers running as root.
CVE_PREFIXES = ("kernel.cve_", "runtime.cve_")
# A new user namespace (the usual first step of a kernel exploit) needs no seccomp filter, or one re-opened by a
# capability; netfilter bugs need CAP_NET_ADMIN there or in the container.
USERNS = ("container.seccomp_unconfined", "container.seccomp_bypassed_by_capability")
NETFILTER = ("container.cap_net_admin", *USERNS)


def _named_reachable(check_id: str) -> Condition:
    """The container is among those the kernel check found reaching the bug (its seccomp lets it open the
    exploit's socket family), when the check names them."""
    def holds(results: Results) -> bool:
        names = results.read(REACHABLE_CONTAINERS, check_id)
        return names is None or (results.subject is not None and results.subject.name in names)
    return holds


def _kernel(cve: str, name: str, requires: tuple[str, ...] = (), any_of: tuple[str, ...] = (),
            when: Condition | None = None) -> tuple[str, Technique]:
    check_id = "kernel.cve_" + cve.removeprefix("CVE-").replace("-", "_")
    reachable = _named_reachable(check_id)
    condition = reachable if when is None else (lambda r: when(r) and reachable(r))
    return check_id, Technique(f"{cve}: {name}", (check_id, *requires), any_of, condition)


# (CVE, technique, further failing checks it requires, at least one of these, a further condition)
KERNEL_CVES: tuple[tuple, ...] = (
    ("CVE-2016-5195", "Dirty COW: overwrite the host's vDSO or read-only files"),
    ("CVE-2022-0847", "Dirty Pipe: overwrite read-only host files such as runc"),
    ("CVE-2026-31431", "Copy Fail: AF_ALG writes into page-cache pages of host binaries"),
    ("CVE-2026-43500", "Dirty Frag (RxRPC): page-cache writes through an AF_RXRPC socket"),
    ("CVE-2026-43284", "Dirty Frag (ESP): page-cache writes through an xfrm state", (ROOT,), NETFILTER),
    ("CVE-2026-46300", "Fragnesia: page-cache writes through an xfrm state and a duplicated packet", (ROOT,),
     NETFILTER),
    ("CVE-2026-43503", "DirtyClone: page-cache writes through an xfrm state and TCP coalescing", (ROOT,), NETFILTER),
    ("CVE-2021-22600", "AF_PACKET double free with CAP_NET_RAW", (ROOT, "container.cap_net_raw")),
    ("CVE-2024-50264", "vsock use-after-free through an AF_VSOCK socket", (ROOT,)),
    ("CVE-2025-21756", "vsock binding use-after-free through an AF_VSOCK socket", (ROOT,)),
    ("CVE-2022-2602", "io_uring / unix GC use-after-free through io_uring_setup"),
    ("CVE-2022-29582", "io_uring timeout use-after-free through io_uring_setup"),
    ("CVE-2023-2598", "io_uring fixed-buffer physical memory access through io_uring_setup"),
    ("CVE-2020-14386", "AF_PACKET overflow with CAP_NET_RAW", (ROOT, "container.cap_net_raw")),
    ("CVE-2022-0492", "release_agent from an unprivileged user namespace (no seccomp, no LSM, root)",
     (ROOT, "container.seccomp_unconfined"), (), _no_lsm),
    ("CVE-2022-0185", "fsconfig heap overflow from a user namespace", (ROOT,), USERNS),
    ("CVE-2021-4154", "cgroup fsconfig use-after-free from a user namespace", (ROOT,), USERNS),
    ("CVE-2023-0386", "overlayfs setuid copy-up from a user namespace", (ROOT,), USERNS),
    ("CVE-2021-22555", "netfilter x_tables heap write", (ROOT,), NETFILTER),
    ("CVE-2022-25636", "netfilter offload heap write", (ROOT,), NETFILTER),
    ("CVE-2022-32250", "nf_tables use-after-free", (ROOT,), NETFILTER),
    ("CVE-2022-2586", "nf_tables cross-table use-after-free", (ROOT,), NETFILTER),
    ("CVE-2023-32233", "nf_tables anonymous set use-after-free", (ROOT,), NETFILTER),
    ("CVE-2024-1086", "nf_tables verdict double free", (ROOT,), NETFILTER),
    ("CVE-2022-2588", "cls_route4 use-after-free", (ROOT,), NETFILTER),
)
RUNTIME_CVES = {
    "runtime.cve_2020_15257": Technique("CVE-2020-15257: containerd-shim API on an abstract socket, reached from "
                                        "the host network", ("runtime.cve_2020_15257", ROOT, "container.host_network")),
}


def direct_cves() -> dict[str, Technique]:
    """Kernel and runtime CVE check id -> the technique that makes it a direct escape. Built on each call, not
    at import, so that mutation testing reaches `_kernel` (mutmut switches mutants only inside calls)."""
    return {**dict(_kernel(*row) for row in KERNEL_CVES), **RUNTIME_CVES}


# Failing checks that remove a defence layer without being an escape by themselves.
WEAKENING_CHECKS = (
    "container.seccomp_unconfined", "container.apparmor_unconfined", "container.selinux_disabled",
    "container.masked_paths_removed", "container.seccomp_bypassed_by_capability", "container.capabilities_added",
    "container.host_pid", "container.host_network", "container.host_ipc", "container.host_userns",
    "container.host_root_mounted", "container.sensitive_mount", "container.proc_sys_writable",
    "container.sysfs_writable", "container.cgroupfs_writable", "container.kmsg_exposed",
    "container.joins_container_namespace", "container.mount_propagation_shared", "container.nvidia_gpu_access",
    "container.cap_sys_admin", "container.cap_sys_ptrace", "container.cap_sys_module", "container.cap_dac_read_search",
    "container.cap_net_admin", "container.cap_sys_rawio", "container.cap_bpf", "container.cap_perfmon",
    "container.cap_syslog", "container.cap_mac_admin", "container.cap_mac_override", "container.cap_sys_boot",
)


def _root_without_userns(results: Results) -> bool:
    """Root in the container is root on the host: it is in the host's user namespace, by its own choice or its
    runtime's default (one rule for Docker and CRI containers)."""
    return results.failed(ROOT) and (results.failed("container.host_userns")
                                     or results.read(HOST_USERNS, "container.host_userns") is True)


def _cve_paths(results: Results, cves: dict[str, Technique]) -> list[EscapePath]:
    paths = []
    for check_id in sorted(c for c, r in results.host.items() if c.startswith(CVE_PREFIXES)
                           and r.status is Status.FAIL):
        technique = cves.get(check_id)
        if technique is not None and technique.holds(results):
            paths.append(EscapePath(technique.name, technique.chain(results), DIRECT))
        elif results.failed(ROOT):
            paths.append(EscapePath(f"{check_id}: exploitable with a host action or an exploit chain",
                                    (link(check_id, results), link(ROOT, results)), CONDITIONAL))
    return paths


def _direct_path(technique: Technique, results: Results) -> EscapePath:
    """A technique that holds; limited by a rootless engine it lands as that engine's user, whose files, socket and
    other containers it then holds, not as host root (kernel CVEs are never limited this way)."""
    user = technique.lands_as(results) if technique.lands_as else None
    if user is None:
        return EscapePath(technique.name, technique.chain(results), DIRECT)
    chain = technique.chain(results) + ((link(ROOTLESS, results),) if results.failed(ROOTLESS) else ())
    return EscapePath(f"{technique.name} - rootless engine: lands as {user}, not host root", chain, CONDITIONAL)


def _tcp_api_paths(results: Results, rootless_owners: dict[str, str]) -> list[EscapePath]:
    """The TCP API technique through each dockerd whose API it reaches, naming the daemon when it is not the
    endpoint's; through a rootless engine's API it lands as that engine's user, not host root."""
    paths = []
    daemons = results.daemons or ((DAEMON, results.host),)
    for daemon, own in daemons:
        view = Results(results.own, {**results.host, **own}, results.subject)
        if not TCP_API.holds(view):
            continue
        name = TCP_API.name if daemon.key == DAEMON.key else f"{TCP_API.name}: {daemon.name}"
        user = rootless_owners.get(daemon.key)
        paths.append(EscapePath(name, TCP_API.chain(view), DIRECT) if user is None else EscapePath(
            f"{name} - rootless engine: lands as {user}, not host root", TCP_API.chain(view), CONDITIONAL))
    return paths


def verdict(subject: Subject, results: Results, cves: dict[str, Technique],
            rootless_owners: dict[str, str] | None = None) -> EscapeVerdict:
    """The verdict of one container and the paths that make it (`cves`: `direct_cves()`; `rootless_owners`: the
    user of each rootless dockerd by its subject key), direct ones first."""
    paths = [_direct_path(t, results) for t in DIRECT_TECHNIQUES if t.holds(results)]
    paths += _tcp_api_paths(results, rootless_owners or {})
    paths += _cve_paths(results, cves)
    if _root_without_userns(results):
        paths.append(EscapePath("root without a user namespace: container root is host root",
                                (link(ROOT, results),), WEAKENING))
    paths += [EscapePath(f"defence removed: {c}", (link(c, results),), WEAKENING)
              for c in WEAKENING_CHECKS if results.failed(c)]
    kinds = {p.kind for p in paths}
    outcome = ESCAPABLE if DIRECT in kinds else WEAKENED if kinds else CONTAINED
    order = {DIRECT: 0, CONDITIONAL: 1, WEAKENING: 2}
    return EscapeVerdict(subject, outcome, tuple(sorted(paths, key=lambda p: order[p.kind])))


def analyse(results: dict[str, Iterable[Result]], rootless_owners: dict[str, str] | None = None
            ) -> tuple[EscapeVerdict, ...]:
    """A verdict for every container subject that has results, in subject-key order (`rootless_owners`: the user
    of each rootless dockerd, by the subject key of its results)."""
    own: dict[str, dict[str, Result]] = {}
    subjects: dict[str, Subject] = {}
    host: dict[str, Result] = {}
    daemons: dict[str, tuple[Subject, dict[str, Result]]] = {}
    for check_id, check_results in results.items():
        for result in check_results:
            if result.subject.kind == "container":
                own.setdefault(result.subject.key, {})[check_id] = result
                subjects[result.subject.key] = result.subject
                continue
            if result.subject.kind == "host" or result.subject.key == DAEMON.key:
                host[check_id] = result
            if result.subject.kind == "daemon":
                daemons.setdefault(result.subject.key, (result.subject, {}))[1][check_id] = result
    cves = direct_cves()
    every_daemon = tuple(daemons.values())
    return tuple(verdict(subjects[key], Results(own[key], host, subjects[key], every_daemon), cves, rootless_owners)
                 for key in sorted(own))
