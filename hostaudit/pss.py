"""Kubernetes Pod Security Standards: the level (privileged / baseline / restricted) a pod meets, with the controls
it fails, judged either from the node's effective facts or from a Kubernetes PodSpec.

Controls and their allowed values follow https://kubernetes.io/docs/concepts/security/pod-security-standards/
(v1.30+). From facts a control reads the flat check results (effective values: /proc wins over the declaration) and,
for capabilities and hostPath volumes, the container facts; a control that cannot be judged is `unknown`, and an
unknown control keeps the pod from the level it belongs to: a pod is never called baseline on facts that are missing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hostaudit.model import Container, Pod, Result, Snapshot, Status

PRIVILEGED, BASELINE, RESTRICTED = "privileged", "baseline", "restricted"
# capabilities a baseline pod may add (the PSS list: Docker's default set without NET_RAW)
BASELINE_CAPABILITIES = frozenset({"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                                   "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"})
RESTRICTED_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})
# (control, level it belongs to)
CONTROLS = (
    ("host_namespaces", BASELINE), ("privileged", BASELINE), ("capabilities_baseline", BASELINE),
    ("host_path_volumes", BASELINE), ("proc_mount", BASELINE), ("seccomp", BASELINE), ("apparmor", BASELINE),
    ("privilege_escalation", RESTRICTED), ("run_as_non_root", RESTRICTED), ("seccomp_profile", RESTRICTED),
    ("capabilities_restricted", RESTRICTED),
)
LEVEL_OF = dict(CONTROLS)
HOST_NAMESPACE_CHECKS = {"network": "container.host_network", "pid": "container.host_pid", "ipc": "container.host_ipc"}
# bind-mount sources that are the runtime's or the kubelet's own (resolv.conf, emptyDir, secrets...), not hostPath
MANAGED_SOURCES = ("/io.containerd.grpc.v1.cri/", "/var/lib/kubelet/pods/", "/run/containers/storage/",
                   "/var/run/containers/storage/", "/var/lib/containers/storage/", "/var/lib/containers/")


@dataclass(frozen=True)
class ControlResult:
    control: str
    level: str  # the PSS level the control belongs to
    status: Status  # pass / fail / unknown
    container: str  # the container it is about; "" for the pod itself
    evidence: str


@dataclass(frozen=True)
class PodSecurity:
    level: str  # the highest level every control up to it passes
    failing: tuple[ControlResult, ...]
    unknown: tuple[ControlResult, ...]


def describe(result: ControlResult) -> str:
    """One line for a control result: `privileged (app): container.privileged: fail`."""
    return f"{result.control} ({result.container or 'pod'}): {result.evidence}"


def level_of(results: Iterable[ControlResult]) -> PodSecurity:
    """The level a pod meets, from every control outcome of its containers and itself."""
    results = list(results)
    failing = tuple(r for r in results if r.status is Status.FAIL)
    unknown = tuple(r for r in results if r.status is Status.UNKNOWN)
    blocked = {r.level for r in failing + unknown}
    level = PRIVILEGED if BASELINE in blocked else BASELINE if RESTRICTED in blocked else RESTRICTED
    return PodSecurity(level, failing, unknown)


def _control(control: str, status: Status, container: str, evidence: str) -> ControlResult:
    return ControlResult(control, LEVEL_OF[control], status, container, evidence)


# ---------------------------------------------------------------- from the node's facts


def is_host_path(source: str, mount_type: str) -> bool:
    """A bind mount of a host path that is neither the runtime's nor the kubelet's own."""
    return mount_type == "bind" and source.startswith("/") and not any(m in source for m in MANAGED_SOURCES)


def _from_check(results: dict[str, Result], check_id: str, control: str, container: str) -> ControlResult:
    found = results.get(check_id)
    if found is None or found.status in (Status.UNKNOWN, Status.NOT_APPLICABLE):
        status = Status.UNKNOWN if found is None or found.status is Status.UNKNOWN else Status.PASS
        return _control(control, status, container, f"{check_id}: {found.status.value if found else 'not run'}")
    return _control(control, Status.FAIL if found.status is Status.FAIL else Status.PASS, container,
                    f"{check_id}: {found.status.value}")


def container_controls(facts: Snapshot, ctr: Container, results: dict[str, Result]) -> list[ControlResult]:
    """Every container-level control of one container, from its check results and facts."""
    from hostaudit.checks.container._effective import capabilities  # the catalog's one view of effective caps

    name = ctr.pod.container_name if ctr.pod else ctr.name
    out = [_from_check(results, "container.privileged", "privileged", name),
           _from_check(results, "container.masked_paths_removed", "proc_mount", name),
           _from_check(results, "container.seccomp_unconfined", "seccomp", name),
           _from_check(results, "container.seccomp_unconfined", "seccomp_profile", name),
           _from_check(results, "container.apparmor_unconfined", "apparmor", name),
           _from_check(results, "container.no_new_privileges_unset", "privilege_escalation", name),
           _from_check(results, "container.runs_as_root", "run_as_non_root", name)]
    for kind, check_id in HOST_NAMESPACE_CHECKS.items():
        found = _from_check(results, check_id, "host_namespaces", name)
        out.append(found if found.status is not Status.PASS else _control("host_namespaces", Status.PASS, name,
                                                                           f"{kind}: private"))
    view = capabilities(facts, ctr)
    for control, allowed in (("capabilities_baseline", BASELINE_CAPABILITIES),
                             ("capabilities_restricted", RESTRICTED_CAPABILITIES)):
        extra = sorted(view.names - allowed)
        out.append(_control(control, Status.FAIL if extra else Status.PASS, name,
                            f"{view.source}: {', '.join(extra) or 'none'} beyond the allowed set"))
    host_paths = sorted({m.source for m in ctr.mounts if is_host_path(m.source, m.type)})
    out.append(_control("host_path_volumes", Status.FAIL if host_paths else Status.PASS, name,
                        f"host paths: {', '.join(host_paths) or 'none'}"))
    return out


def from_facts(facts: Snapshot, pod: Pod, results_by_subject: dict[str, dict[str, Result]]) -> PodSecurity:
    """The level of one pod from the node's effective facts: its sandbox's host namespaces, and every container
    of it (running, exited or created) as the flat checks judged it."""
    members = [c for c in facts.all_containers if c.pod is not None and c.pod.container_name
               and c.pod.sandbox_id == pod.sandbox_id]
    outcomes = [_control("host_namespaces", Status.FAIL if kind in pod.host_namespaces else Status.PASS, "",
                         f"sandbox {kind} namespace: {'host' if kind in pod.host_namespaces else 'pod'}")
                for kind in HOST_NAMESPACE_CHECKS]
    for ctr in members:
        outcomes += container_controls(facts, ctr, results_by_subject.get(ctr.key, {}))
    if not members:
        outcomes.append(_control("privileged", Status.UNKNOWN, "", "no container of this pod was found"))
    return level_of(outcomes)


# ---------------------------------------------------------------- from a Kubernetes PodSpec (camelCase)


def _ctx(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def from_pod_spec(spec: dict[str, Any]) -> PodSecurity:
    """The level of a PodSpec as admission would judge it (for a patched spec, before it is rolled out)."""
    pod_context = _ctx(spec.get("securityContext"))
    outcomes = [_control("host_namespaces", Status.FAIL if spec.get(field) is True else Status.PASS, "",
                         f"{field}: {spec.get(field, False)}") for field in ("hostNetwork", "hostPID", "hostIPC")]
    host_paths = [v.get("name") for v in spec.get("volumes") or () if isinstance(v, dict) and "hostPath" in v]
    outcomes.append(_control("host_path_volumes", Status.FAIL if host_paths else Status.PASS, "",
                             f"hostPath volumes: {host_paths or 'none'}"))
    containers = [c for key in ("initContainers", "containers", "ephemeralContainers")
                  for c in spec.get(key) or () if isinstance(c, dict)]
    for ctr in containers:
        name = str(ctr.get("name", ""))
        ctx = _ctx(ctr.get("securityContext"))
        caps = _ctx(ctx.get("capabilities"))
        added = {str(c).upper().removeprefix("CAP_") for c in caps.get("add") or ()}
        dropped_all = "ALL" in {str(c).upper() for c in caps.get("drop") or ()}
        seccomp = _ctx(ctx.get("seccompProfile")).get("type") or _ctx(pod_context.get("seccompProfile")).get("type")
        apparmor = _ctx(ctx.get("appArmorProfile")).get("type") or _ctx(pod_context.get("appArmorProfile")).get("type")
        non_root = ctx.get("runAsNonRoot", pod_context.get("runAsNonRoot"))
        user = ctx.get("runAsUser", pod_context.get("runAsUser"))
        fail = Status.FAIL
        outcomes += [
            _control("privileged", fail if ctx.get("privileged") is True else Status.PASS, name,
                     f"privileged: {ctx.get('privileged', False)}"),
            _control("capabilities_baseline", fail if added - BASELINE_CAPABILITIES else Status.PASS, name,
                     f"add: {sorted(added)}"),
            _control("capabilities_restricted", fail if not dropped_all or added - RESTRICTED_CAPABILITIES
                     else Status.PASS, name, f"drop ALL: {dropped_all}, add: {sorted(added)}"),
            _control("proc_mount", fail if ctx.get("procMount") not in (None, "Default") else Status.PASS, name,
                     f"procMount: {ctx.get('procMount', 'Default')}"),
            _control("seccomp", fail if seccomp == "Unconfined" else Status.PASS, name, f"seccompProfile: {seccomp}"),
            _control("seccomp_profile", Status.PASS if seccomp in ("RuntimeDefault", "Localhost") else fail, name,
                     f"seccompProfile: {seccomp}"),
            _control("apparmor", fail if apparmor == "Unconfined" else Status.PASS, name,
                     f"appArmorProfile: {apparmor}"),
            _control("privilege_escalation", Status.PASS if ctx.get("allowPrivilegeEscalation") is False else fail,
                     name, f"allowPrivilegeEscalation: {ctx.get('allowPrivilegeEscalation')}"),
            _control("run_as_non_root", fail if user == 0 or non_root is not True else Status.PASS,
                     name, f"runAsNonRoot: {non_root}, runAsUser: {user}"),
        ]
    return level_of(outcomes)
