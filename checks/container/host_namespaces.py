"""Container shares a namespace with the host: one row per namespace kind, each its own check."""

from __future__ import annotations

from typing import NamedTuple

from hostaudit.catalog import CheckMeta, Row, Scope, Severity, register_family
from hostaudit.evidence import HOST_USERNS
from hostaudit.model import Snapshot, Status

from ..daemon.userns_remap_disabled import META as USERNS_REMAP
from ._effective import shares_host_namespace
from ._subjects import per_container

FAMILY = True


class Namespace(NamedTuple):
    kind: str  # as the namespaces facts name it
    cis: str
    exposes: str  # what sharing it exposes


ROWS = (
    Row("container.host_pid", Severity.HIGH, Namespace(
        "pid", "5.16", "every host process: signals, /proc/<pid>/environ secrets, and with CAP_SYS_PTRACE, code "
        "injection")),
    Row("container.host_network", Severity.HIGH, Namespace(
        "network", "5.10", "the host's interfaces and localhost-only services (a TCP Docker API, kubelet, "
        "containerd-shim sockets)")),
    Row("container.host_ipc", Severity.MEDIUM, Namespace("ipc", "5.17", "host shared memory and semaphores")),
    Row("container.host_uts", Severity.LOW, Namespace("uts", "5.21", "the host's hostname, which it can change")),
    Row("container.host_userns", Severity.MEDIUM, Namespace(
        "user", "5.31", "host user ids: root in the container is root on the host for every file it can reach")),
    Row("container.host_cgroupns", Severity.LOW, Namespace(
        "cgroup", "", "the host's cgroup tree paths, which helps cgroup-based escapes")),
)

# the PodSpec field behind each shared namespace; UTS follows hostNetwork, and the cgroup namespace has no field
POD_FIELDS = {"pid": "remove hostPID: true", "network": "remove hostNetwork: true", "ipc": "remove hostIPC: true",
              "uts": "remove hostNetwork: true, which also shares the host's UTS namespace",
              "cgroup": "no PodSpec field; on cgroup v2 the runtime gives each container its own"}


def describe(row: Row[Namespace]) -> CheckMeta:
    kind = row.spec.kind
    return CheckMeta(
        id=row.id,
        title=f"Container shares the host's {kind} namespace",
        severity=row.severity,
        scope=Scope.CONTAINER,
        cis=(row.spec.cis,) if row.spec.cis else (),
        rationale=f"Sharing the host's {kind} namespace exposes {row.spec.exposes}.",
        remediation=f"Recreate the container without --{'net' if kind == 'network' else kind}=host "
                    f"(Kubernetes: {POD_FIELDS[kind]})."
        if kind != "user" else "Enable user-namespace remapping (userns-remap) or rootless mode, and do not run "
                               "containers with --userns=host (Kubernetes: hostUsers: false, on a runtime that "
                               "supports pod user namespaces).",
        needs=(),
    )


def evaluate(namespace: Namespace, facts: Snapshot):
    kind = namespace.kind

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
        daemon = facts.docker_daemon_of(ctr)
        if ctr.namespaces.get("user") != "host" and daemon is not None and not (daemon.userns_remap or daemon.rootless):
            return f"dockerd has no userns-remap and is not rootless: every container shares it, see {USERNS_REMAP.id}"
        return None
    return "containerd gives a container a user namespace only when its spec asks (Kubernetes: hostUsers: false)"


register_family(ROWS, describe, evaluate)
