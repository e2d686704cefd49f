"""Container shares a namespace with the host: one row per namespace kind, each its own check."""

from __future__ import annotations

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.evidence import HOST_USERNS
from hostaudit.model import Snapshot, Status

from ._effective import shares_host_namespace
from ._subjects import per_container

FAMILY = True

# (namespace, check id, CIS id, severity, what sharing it exposes)
ROWS = (
    ("pid", "container.host_pid", "5.16", Severity.HIGH,
     "every host process: signals, /proc/<pid>/environ secrets, and with CAP_SYS_PTRACE, code injection"),
    ("network", "container.host_network", "5.10", Severity.HIGH,
     "the host's interfaces and localhost-only services (a TCP Docker API, kubelet, containerd-shim sockets)"),
    ("ipc", "container.host_ipc", "5.17", Severity.MEDIUM, "host shared memory and semaphores"),
    ("uts", "container.host_uts", "5.21", Severity.LOW, "the host's hostname, which it can change"),
    ("user", "container.host_userns", "5.31", Severity.MEDIUM,
     "host user ids: root in the container is root on the host for every file it can reach"),
    ("cgroup", "container.host_cgroupns", "", Severity.LOW,
     "the host's cgroup tree paths, which helps cgroup-based escapes"),
)

# the PodSpec field behind each shared namespace; UTS follows hostNetwork, and the cgroup namespace has no field
POD_FIELDS = {"pid": "remove hostPID: true", "network": "remove hostNetwork: true", "ipc": "remove hostIPC: true",
              "uts": "remove hostNetwork: true, which also shares the host's UTS namespace",
              "cgroup": "no PodSpec field; on cgroup v2 the runtime gives each container its own"}


def _register(kind: str, check_id: str, cis: str, severity: Severity, exposes: str) -> None:
    meta = CheckMeta(
        id=check_id,
        title=f"Container shares the host's {kind} namespace",
        severity=severity,
        scope=Scope.CONTAINER,
        cis=(cis,) if cis else (),
        rationale=f"Sharing the host's {kind} namespace exposes {exposes}.",
        remediation=f"Recreate the container without --{'net' if kind == 'network' else kind}=host "
                    f"(Kubernetes: {POD_FIELDS[kind]})."
        if kind != "user" else "Enable user-namespace remapping (userns-remap) or rootless mode, and do not run "
                               "containers with --userns=host (Kubernetes: hostUsers: false, on a runtime that "
                               "supports pod user namespaces).",
        needs=(),
    )

    @register(meta)
    def evaluate(facts: Snapshot):
        def judge(ctr):
            shared, evidence = shares_host_namespace(facts, ctr, kind)
            if kind == "user" and shared:
                evidence[HOST_USERNS.name] = True
                runtime_default = _runtime_gives_no_userns(facts, ctr)
                if runtime_default:
                    evidence["runtime"] = runtime_default
                    return Status.NOT_APPLICABLE, evidence
            return shared, evidence

        return per_container(facts, judge)


def _runtime_gives_no_userns(facts: Snapshot, ctr) -> str | None:
    """Why a container shares the host user namespace by its runtime's default rather than its own choice: a
    host-level fact (Docker without userns-remap or rootless; CRI pods without hostUsers: false), the same rule for
    every runtime. None when the container left a user namespace its runtime would have given it."""
    if ctr.source == "docker":
        daemon = facts.docker_daemon
        if ctr.namespaces.get("user") != "host" and daemon is not None and not (daemon.userns_remap or daemon.rootless):
            return "dockerd has no userns-remap and is not rootless: every container shares it, see " \
                   "daemon.userns_remap_disabled"
        return None
    return "containerd gives a container a user namespace only when its spec asks (Kubernetes: hostUsers: false)"


for _row in ROWS:
    _register(*_row)
