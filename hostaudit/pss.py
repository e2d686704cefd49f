"""Kubernetes Pod Security Standards: the level (privileged / baseline / restricted) a pod meets, control by control,
judged either from what the node holds or from a Kubernetes PodSpec.

Each control is one function named after its upstream check (kubernetes/pod-security-admission `policy/check_<id>.go`,
latest version), judged per container from the CRI sandbox and container configs as kubelet sent them (kept in the
snapshot by the CRI collector), and from the flat checks' effective results where the config did not reach the node.
A control answers pass, fail (the field and value, as PSA words it) or unknown ("not observable on a node: ...").
Controls that never reach a Linux node and change nothing on it are `not_applicable`, said with the reason. The level
is the strictest one whose every control passed: an unknown control never raises it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from hostaudit.model import Container, Pod, Result, Snapshot, Status

PRIVILEGED, BASELINE, RESTRICTED = "privileged", "baseline", "restricted"
# policy/check_capabilities_baseline.go (capabilities_allowed_1_0): compared with the add list as written, so that
# "CAP_CHOWN" is not "CHOWN"
BASELINE_CAPABILITIES = frozenset({"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                                   "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"})
# policy/check_capabilities_restricted.go: drop must hold ALL, add at most NET_BIND_SERVICE
RESTRICTED_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})
# policy/check_sysctls.go, sysctlsAllowedV1Dot37 (the union of every earlier version's set)
SAFE_SYSCTLS = frozenset({
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem", "net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"})
# policy/check_seLinuxOptions.go, selinuxAllowedTypes1_31
SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
HOST_NAMESPACE_CHECKS = {"network": "container.host_network", "pid": "container.host_pid", "ipc": "container.host_ipc"}
# bind-mount sources that are the runtime's or the kubelet's own (resolv.conf, emptyDir, secrets...), not hostPath
MANAGED_SOURCES = ("/io.containerd.grpc.v1.cri/", "/var/lib/kubelet/pods/", "/run/containers/storage/",
                   "/var/run/containers/storage/", "/var/lib/containers/storage/", "/var/lib/containers/")
# CRI enums as the runtime's verbose info holds them (zero values are left out of the JSON)
CRI_NODE = 2  # NamespaceMode NODE
CRI_RUNTIME_DEFAULT, CRI_UNCONFINED, CRI_LOCALHOST = 0, 1, 2  # SecurityProfile.ProfileType
NOT_ON_NODE = "not observable on a node: "
MAX_EVIDENCE = 1024  # characters of one control's evidence: values come from the pod's (hostile) author
MAX_LISTED = 64  # entries of a CRI list (capabilities, masked paths) looked at


@dataclass(frozen=True)
class ControlResult:
    control: str  # the upstream check id (policy/check_<id>.go)
    level: str  # the PSS level the control belongs to
    status: Status  # pass / fail / unknown / not_applicable
    container: str  # the container it is about; "" for the pod itself
    evidence: str


@dataclass(frozen=True)
class PodSecurity:
    level: str  # the strictest level every control of which passed
    failing: tuple[ControlResult, ...]
    unknown: tuple[ControlResult, ...]
    controls: tuple[ControlResult, ...] = ()  # every control result, in evaluation order
    unproven: str | None = None  # the next level, when only unknown controls keep the pod from it


def describe(result: ControlResult) -> str:
    """One line for a control result: `privileged (app): securityContext.privileged=true`."""
    return f"{result.control} ({result.container or 'pod'}): {result.evidence}"


def level_of(results: Iterable[ControlResult]) -> PodSecurity:
    """The level a pod meets, from every control outcome of its containers and itself."""
    results = tuple(results)
    failing = tuple(r for r in results if r.status is Status.FAIL)
    unknown = tuple(r for r in results if r.status is Status.UNKNOWN)
    failed, unsure = {r.level for r in failing}, {r.level for r in unknown}
    for level, below in ((BASELINE, PRIVILEGED), (RESTRICTED, BASELINE)):
        if level in failed or level in unsure:
            return PodSecurity(below, failing, unknown, results, level if level not in failed else None)
    return PodSecurity(RESTRICTED, failing, unknown, results)


# ---------------------------------------------------------------- from the node's facts


def is_host_path(source: str, mount_type: str) -> bool:
    """A bind mount of a host path that is neither the runtime's nor the kubelet's own."""
    return mount_type == "bind" and source.startswith("/") and not any(m in source for m in MANAGED_SOURCES)


@dataclass(frozen=True)
class _On:
    """What one container's controls are judged from."""

    facts: Snapshot
    pod: Pod
    ctr: Container
    checks: dict[str, Result]

    @property
    def cri(self) -> dict[str, Any] | None:
        """The container's CRI security context as kubelet sent it; None when it was not read through CRI."""
        return self.ctr.cri_security_context

    def field(self, *path: str) -> Any:
        """A value of the CRI security context (None when absent: the runtime leaves out zero values)."""
        value: Any = self.cri
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value


Outcome = tuple[Status, str]
NO_CRI = (Status.UNKNOWN, "the container's CRI config was not read (its pod was found in task bundles, not "
                         "through the CRI API)")


def _check(on: _On, check_id: str) -> Status | None:
    found = on.checks.get(check_id)
    return found.status if found else None


def _listed(value: Any) -> list[str]:
    return [str(v)[:MAX_EVIDENCE] for v in value[:MAX_LISTED]] if isinstance(value, list) else []


def _profile(value: Any) -> int | None:
    """The profile type of a CRI SecurityProfile (None when none was sent)."""
    if not isinstance(value, dict):
        return None
    kind = value.get("profile_type", CRI_RUNTIME_DEFAULT)
    return kind if isinstance(kind, int) else None


def _userns(on: _On) -> bool:
    """Whether the pod runs in its own user namespace (hostUsers: false), which PSA 1.35+ relaxes some controls for."""
    return on.ctr.namespaces.get("user") == "private"


def _from_check(on: _On, check_id: str, what: str) -> Outcome:
    """A control decided by a flat check's effective result; not_applicable there is a pass (nothing to judge)."""
    status = _check(on, check_id)
    if status in (None, Status.UNKNOWN):
        return Status.UNKNOWN, f"{check_id}: {status.value if status else 'not run'}"
    return (Status.FAIL if status is Status.FAIL else Status.PASS), f"{what} ({check_id}: {status.value})"


def privileged(on: _On) -> Outcome:  # policy/check_privileged.go
    if on.cri is not None:
        value = on.field("privileged") is True
        return (Status.FAIL if value else Status.PASS), f"securityContext.privileged={str(value).lower()}"
    return _from_check(on, "container.privileged", "effective privileges")


def host_namespaces(on: _On) -> Outcome:  # policy/check_hostNamespaces.go (hostNetwork, hostPID, hostIPC)
    shared = [kind for kind, check_id in HOST_NAMESPACE_CHECKS.items() if _check(on, check_id) is Status.FAIL]
    if shared:
        return Status.FAIL, f"shares the host's {', '.join(shared)} namespace"
    unsure = [check_id for check_id in HOST_NAMESPACE_CHECKS.values() if _check(on, check_id) in (None, Status.UNKNOWN)]
    return (Status.UNKNOWN, f"{', '.join(unsure)}: unknown") if unsure else (Status.PASS, "network, pid, ipc: private")


def host_path_volumes(on: _On) -> Outcome:  # policy/check_hostPathVolumes.go
    found = sorted({m.source for m in on.ctr.mounts if is_host_path(m.source, m.type)})
    return (Status.FAIL, f"hostPath volumes: {', '.join(found)}") if found else (Status.PASS, "hostPath volumes: none")


def _without_cri(on: _On, allowed: frozenset[str]) -> Outcome:
    """Without the add list, only a capability in force beyond every runtime's default set (the baseline set plus
    NET_RAW) proves one was added; anything else cannot be told from the runtime's default."""
    from hostaudit.checks.container._effective import capabilities  # the catalog's one view of effective caps

    view = capabilities(on.facts, on.ctr)
    extra = sorted(view.names - allowed - ({"NET_RAW"} if allowed is BASELINE_CAPABILITIES else set()))
    if extra:
        return Status.FAIL, f"{view.source}: {', '.join(extra)} in force, beyond the allowed set"
    return NO_CRI


def capabilities_baseline(on: _On) -> Outcome:  # policy/check_capabilities_baseline.go
    if on.cri is None:
        return _without_cri(on, BASELINE_CAPABILITIES)
    added = _listed(on.field("capabilities", "add_capabilities"))
    extra = sorted(c for c in added if c not in BASELINE_CAPABILITIES)
    if extra:
        return Status.FAIL, f"securityContext.capabilities.add={extra} (not in the baseline set)"
    return Status.PASS, f"securityContext.capabilities.add={added}"


def capabilities_restricted(on: _On) -> Outcome:  # policy/check_capabilities_restricted.go
    if on.cri is None:
        return _without_cri(on, RESTRICTED_CAPABILITIES)
    dropped = _listed(on.field("capabilities", "drop_capabilities"))
    added = _listed(on.field("capabilities", "add_capabilities"))
    wrong = [f"securityContext.capabilities.drop={dropped} (must include ALL)"] if "ALL" not in dropped else []
    wrong += [f"securityContext.capabilities.add={sorted(set(added) - RESTRICTED_CAPABILITIES)}"] \
        if set(added) - RESTRICTED_CAPABILITIES else []
    return (Status.FAIL, "; ".join(wrong)) if wrong else (Status.PASS, f"drop={dropped}, add={added}")


def app_armor_profile(on: _On) -> Outcome:  # policy/check_appArmorProfile.go
    if on.cri is None:  # with AppArmor on the node, only an explicit Unconfined leaves a container unconfined
        return (Status.FAIL, "effective AppArmor profile: unconfined (container.apparmor_unconfined: fail)") \
            if _check(on, "container.apparmor_unconfined") is Status.FAIL else NO_CRI
    profile, legacy = _profile(on.field("apparmor")), on.field("apparmor_profile")
    if profile == CRI_UNCONFINED or legacy == "unconfined":
        return Status.FAIL, "appArmorProfile.type=Unconfined"
    return Status.PASS, f"appArmorProfile: {'set' if profile is not None or legacy else 'not set'}, not Unconfined"


def _selinux_wrong(options: Any, where: str) -> list[str]:
    if not isinstance(options, dict):
        return []
    wrong = [f"{where}.seLinuxOptions.type={options.get('type')!r}"] if options.get("type", "") not in SELINUX_TYPES \
        else []
    return wrong + [f"{where}.seLinuxOptions.{key}={options[key]!r}" for key in ("user", "role") if options.get(key)]


def se_linux_options(on: _On) -> Outcome:  # policy/check_seLinuxOptions.go (1.31 types)
    if on.cri is None:
        return NO_CRI
    wrong = _selinux_wrong(on.pod.security_context.get("selinux_options"), "spec.securityContext")
    wrong += _selinux_wrong(on.field("selinux_options"), "securityContext")
    return (Status.FAIL, "; ".join(wrong)) if wrong else (Status.PASS, "seLinuxOptions: no custom type, user or role")


def _unmasked(on: _On) -> Outcome:
    """procMount Unmasked reaches the runtime as a container (not privileged) with no masked paths."""
    if on.cri is not None and on.field("privileged") is not True:
        masked = _listed(on.field("masked_paths"))
        return (Status.PASS, "securityContext.procMount=Default (masked /proc paths)") if masked else \
            (Status.FAIL, "securityContext.procMount=Unmasked (no masked /proc paths)")
    return _from_check(on, "container.masked_paths_removed", "masked /proc paths")


def proc_mount(on: _On) -> Outcome:  # policy/check_procMount_baseline.go (1.35: relaxed in a user namespace)
    status, evidence = _unmasked(on)
    return (Status.PASS, f"{evidence}, in a pod user namespace") if status is Status.FAIL and _userns(on) else \
        (status, evidence)


def proc_mount_restricted(on: _On) -> Outcome:  # policy/check_procMount_restricted.go
    return _unmasked(on)


def _seccomp_default(facts: Snapshot) -> bool | None:
    """Whether the node's running kubelet sends RuntimeDefault for an unset seccompProfile (seccompDefault), as the
    catalog's kubelet.seccomp_default_off reads it; None when that cannot be told (no kubelet, its file unusable or
    changed since it started)."""
    from hostaudit.checks.kubelet.settings import ROWS, setting

    if facts.kubelet is None or facts.kubelet.pid is None:
        return None
    spec = next(row.spec for row in ROWS if row.id == "kubelet.seccomp_default_off")
    value, _source, problem = setting(facts.kubelet, spec.flag, spec.path, spec.flag_default, spec.config_default)
    off = None if problem is not None else spec.risky(value)
    return None if off is None else not off


def seccomp_profile_baseline(on: _On) -> Outcome:  # policy/check_seccompProfile_baseline.go
    if on.cri is None:
        return _from_check(on, "container.seccomp_unconfined", "seccomp filter") \
            if _check(on, "container.seccomp_unconfined") is not Status.FAIL else \
            (Status.UNKNOWN, NOT_ON_NODE + "no seccomp filter, and an unset seccompProfile cannot be told from "
                                           "Unconfined")
    profile = _profile(on.field("seccomp"))
    if profile in (CRI_RUNTIME_DEFAULT, CRI_LOCALHOST):
        return Status.PASS, f"seccompProfile.type={'Localhost' if profile == CRI_LOCALHOST else 'RuntimeDefault'}"
    if _seccomp_default(on.facts) is True:
        return Status.FAIL, "seccompProfile.type=Unconfined (kubelet sends RuntimeDefault when it is unset)"
    return Status.UNKNOWN, NOT_ON_NODE + "kubelet sends Unconfined both for seccompProfile.type=Unconfined " \
                                         "(forbidden) and for an unset profile (allowed)"


def seccomp_profile_restricted(on: _On) -> Outcome:  # policy/check_seccompProfile_restricted.go
    if on.cri is None:
        return NO_CRI
    profile = _profile(on.field("seccomp"))
    if profile == CRI_LOCALHOST:
        return Status.PASS, "seccompProfile.type=Localhost"
    if profile == CRI_RUNTIME_DEFAULT and _seccomp_default(on.facts) is False:
        return Status.PASS, "seccompProfile.type=RuntimeDefault"
    if profile == CRI_RUNTIME_DEFAULT:
        return Status.UNKNOWN, NOT_ON_NODE + "RuntimeDefault, which kubelet's seccompDefault also sends for an " \
                                             "unset seccompProfile (forbidden)"
    return Status.FAIL, "seccompProfile.type must be RuntimeDefault or Localhost (the runtime got Unconfined)"


def allow_privilege_escalation(on: _On) -> Outcome:  # policy/check_allowPrivilegeEscalation.go
    if on.cri is None:
        return _from_check(on, "container.no_new_privileges_unset", "no_new_privs")
    if on.field("no_new_privs") is True:
        return Status.PASS, "securityContext.allowPrivilegeEscalation=false"
    return Status.FAIL, "securityContext.allowPrivilegeEscalation != false (no_new_privs not set)"


def _run_as_root(on: _On) -> bool:
    """Whether the container or its pod sets runAsUser=0 (kubelet sends run_as_user only when it is set)."""
    found = on.field("run_as_user")
    return isinstance(found, dict) and found.get("value", 0) == 0


def run_as_non_root(on: _On) -> Outcome:  # policy/check_runAsNonRoot.go (1.35: relaxed in a user namespace)
    if _userns(on):
        return Status.PASS, "in a pod user namespace"
    if on.cri is not None and _run_as_root(on):
        return Status.FAIL, "securityContext.runAsUser=0, so runAsNonRoot cannot be true"
    return Status.UNKNOWN, NOT_ON_NODE + "runAsNonRoot is enforced by kubelet and never sent to the runtime"


def run_as_user(on: _On) -> Outcome:  # policy/check_runAsUser.go (1.35: relaxed in a user namespace)
    if _userns(on):
        return Status.PASS, "in a pod user namespace"
    if on.cri is None:
        return NO_CRI
    return (Status.FAIL, "securityContext.runAsUser=0") if _run_as_root(on) else (Status.PASS, "runAsUser != 0")


def restricted_volumes(on: _On) -> Outcome:  # policy/check_restrictedVolumes.go
    return Status.UNKNOWN, NOT_ON_NODE + "the pod's volume types (other than hostPath) never reach the runtime"


def windows_host_process(on: _On) -> Outcome:  # policy/check_windowsHostProcess.go
    return Status.NOT_APPLICABLE, "a Linux node runs no Windows HostProcess container (and the API admits one only " \
                                  "with hostNetwork, which hostNamespaces judges)"


def host_probes_and_host_lifecycle(on: _On) -> Outcome:  # policy/check_hostProbesAndhostLifecycle.go
    return Status.NOT_APPLICABLE, NOT_ON_NODE + "probe and lifecycle handler hosts are kubelet's own requests, " \
                                                "not part of any container"


Control = tuple[str, str, Callable[[_On], Outcome]]
# (upstream check id, level, function): every control of the latest version, per container
CONTROLS: tuple[Control, ...] = (
    ("privileged", BASELINE, privileged), ("hostNamespaces", BASELINE, host_namespaces),
    ("hostPathVolumes", BASELINE, host_path_volumes), ("capabilities_baseline", BASELINE, capabilities_baseline),
    ("appArmorProfile", BASELINE, app_armor_profile), ("seLinuxOptions", BASELINE, se_linux_options),
    ("procMount", BASELINE, proc_mount), ("seccompProfile_baseline", BASELINE, seccomp_profile_baseline),
    ("windowsHostProcess", BASELINE, windows_host_process),
    ("hostProbesAndhostLifecycle", BASELINE, host_probes_and_host_lifecycle),
    ("capabilities_restricted", RESTRICTED, capabilities_restricted),
    ("procMount_restricted", RESTRICTED, proc_mount_restricted),
    ("seccompProfile_restricted", RESTRICTED, seccomp_profile_restricted),
    ("allowPrivilegeEscalation", RESTRICTED, allow_privilege_escalation),
    ("runAsNonRoot", RESTRICTED, run_as_non_root), ("runAsUser", RESTRICTED, run_as_user),
    ("restrictedVolumes", RESTRICTED, restricted_volumes),
)
LEVEL_OF = {control: level for control, level, _ in CONTROLS} | {"hostPorts": BASELINE, "sysctls": BASELINE}


def _control(control: str, status: Status, container: str, evidence: str) -> ControlResult:
    return ControlResult(control, LEVEL_OF[control], status, container, evidence[:MAX_EVIDENCE])


def pod_controls(pod: Pod) -> list[ControlResult]:
    """The controls judged from the sandbox alone: its host namespaces, host ports and sysctls."""
    shared = [kind for kind in HOST_NAMESPACE_CHECKS if kind in pod.host_namespaces]
    out = [_control("hostNamespaces", Status.FAIL if shared else Status.PASS, "",
                    f"sandbox shares the host's {', '.join(shared)} namespace" if shared
                    else "sandbox network, pid, ipc: private")]
    if pod.host_ports is None:  # policy/check_hostPorts.go
        out.append(_control("hostPorts", Status.UNKNOWN, "", NOT_ON_NODE + "the sandbox's CRI config was not read"))
    else:
        out.append(_control("hostPorts", Status.FAIL if pod.host_ports else Status.PASS, "",
                            f"hostPort={sorted(set(pod.host_ports))}" if pod.host_ports else "hostPorts: none"))
    if pod.sysctls is None:  # policy/check_sysctls.go
        out.append(_control("sysctls", Status.UNKNOWN, "", NOT_ON_NODE + "the sandbox's CRI config was not read"))
    else:
        unsafe = sorted(set(pod.sysctls) - SAFE_SYSCTLS)
        out.append(_control("sysctls", Status.FAIL if unsafe else Status.PASS, "",
                            f"spec.securityContext.sysctls: {unsafe} not in the safe set" if unsafe
                            else f"sysctls: {sorted(pod.sysctls)}"))
    return out


def container_controls(facts: Snapshot, pod: Pod, ctr: Container, results: dict[str, Result]) -> list[ControlResult]:
    """Every container-level control of one container."""
    on = _On(facts, pod, ctr, results)
    name = ctr.pod.container_name if ctr.pod else ctr.name
    out = []
    for control, _level, judge in CONTROLS:
        status, evidence = judge(on)
        out.append(_control(control, status, name, evidence))
    return out


def from_facts(facts: Snapshot, pod: Pod, results_by_subject: dict[str, dict[str, Result]]) -> PodSecurity:
    """The level of one pod from what the node holds: its sandbox, and every container of it (running, exited or
    created)."""
    members = [c for c in facts.all_containers if c.pod is not None and c.pod.container_name
               and c.pod.sandbox_id == pod.sandbox_id]
    outcomes = pod_controls(pod)
    for ctr in members:
        outcomes += container_controls(facts, pod, ctr, results_by_subject.get(ctr.key, {}))
    if not members:
        outcomes.append(_control("privileged", Status.UNKNOWN, "", "no container of this pod was found"))
    return level_of(outcomes)


# ---------------------------------------------------------------- from a Kubernetes PodSpec (camelCase)


def _ctx(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def from_pod_spec(spec: dict[str, Any]) -> PodSecurity:
    """The level of a PodSpec as admission would judge it (for a patched spec, before it is rolled out)."""
    pod_context = _ctx(spec.get("securityContext"))
    outcomes = [_control("hostNamespaces", Status.FAIL if spec.get(field) is True else Status.PASS, "",
                         f"{field}: {spec.get(field, False)}") for field in ("hostNetwork", "hostPID", "hostIPC")]
    host_paths = [v.get("name") for v in spec.get("volumes") or () if isinstance(v, dict) and "hostPath" in v]
    outcomes.append(_control("hostPathVolumes", Status.FAIL if host_paths else Status.PASS, "",
                             f"hostPath volumes: {host_paths or 'none'}"))
    containers = [c for key in ("initContainers", "containers", "ephemeralContainers")
                  for c in spec.get(key) or () if isinstance(c, dict)]
    ports = sorted({p.get("hostPort") for c in containers for p in c.get("ports") or ()
                    if isinstance(p, dict) and p.get("hostPort")})
    sysctls = sorted({str(_ctx(s).get("name")) for s in pod_context.get("sysctls") or ()} - SAFE_SYSCTLS)
    outcomes += [_control("hostPorts", Status.FAIL if ports else Status.PASS, "", f"hostPort={ports}"),
                 _control("sysctls", Status.FAIL if sysctls else Status.PASS, "", f"unsafe sysctls: {sysctls}")]
    for ctr in containers:
        name = str(ctr.get("name", ""))
        ctx = _ctx(ctr.get("securityContext"))
        caps = _ctx(ctx.get("capabilities"))
        added = {str(c) for c in caps.get("add") or ()}  # as written: PSA rejects "CAP_CHOWN"
        dropped_all = "ALL" in {str(c) for c in caps.get("drop") or ()}
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
            _control("procMount", fail if ctx.get("procMount") not in (None, "Default") else Status.PASS, name,
                     f"procMount: {ctx.get('procMount', 'Default')}"),
            _control("seccompProfile_baseline", fail if seccomp == "Unconfined" else Status.PASS, name,
                     f"seccompProfile: {seccomp}"),
            _control("seccompProfile_restricted", Status.PASS if seccomp in ("RuntimeDefault", "Localhost")
                     else fail, name, f"seccompProfile: {seccomp}"),
            _control("appArmorProfile", fail if apparmor == "Unconfined" else Status.PASS, name,
                     f"appArmorProfile: {apparmor}"),
            _control("allowPrivilegeEscalation", Status.PASS if ctx.get("allowPrivilegeEscalation") is False else fail,
                     name, f"allowPrivilegeEscalation: {ctx.get('allowPrivilegeEscalation')}"),
            _control("runAsNonRoot", fail if user == 0 or non_root is not True else Status.PASS,
                     name, f"runAsNonRoot: {non_root}, runAsUser: {user}"),
            _control("runAsUser", fail if user == 0 else Status.PASS, name, f"runAsUser: {user}"),
        ]
        selinux = _selinux_wrong(pod_context.get("seLinuxOptions"), "spec.securityContext") + \
            _selinux_wrong(ctx.get("seLinuxOptions"), "securityContext")
        outcomes.append(_control("seLinuxOptions", fail if selinux else Status.PASS, name,
                                 "; ".join(selinux) or "no custom type, user or role"))
    return level_of(outcomes)
