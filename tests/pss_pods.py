"""Pods that meet or violate one Pod Security Standards control each, written as `kubernetes` V1Pod objects, and
what kubelet sends the CRI runtime for them: the pod definitions are the oracle's input, independent of hostaudit.

The translation keeps only what reaches the node, the way kubelet (1.30+, with `seccompDefault: true` and no AppArmor
on the node) builds its requests: pod-level seLinuxOptions, runAsUser and seccomp merged into each container; an unset
seccompProfile sent as RuntimeDefault; hostPorts in the sandbox's port mappings; pod sysctls on the sandbox;
no_new_privs only for allowPrivilegeEscalation: false; procMount Unmasked as no masked paths. Fields that never
reach the node (runAsNonRoot, volume types other than hostPath) are simply not sent.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kubernetes.client import (
    V1AppArmorProfile,
    V1Capabilities,
    V1Container,
    V1ContainerPort,
    V1HostPathVolumeSource,
    V1ObjectMeta,
    V1Pod,
    V1PodSecurityContext,
    V1PodSpec,
    V1SeccompProfile,
    V1SecurityContext,
    V1SELinuxOptions,
    V1Sysctl,
    V1Volume,
    V1VolumeMount,
)

from tests.cri_lab import MASKED, READONLY, PrivateCri
from tests.lab import CTR_IMAGE, lab_dir

NS = "pss-lab"
BASELINE, RESTRICTED = "baseline", "restricted"
STRICTNESS = {"privileged": 0, BASELINE: 1, RESTRICTED: 2}


@dataclass(frozen=True)
class Case:
    """A pod and the upstream verdict on it: the controls (upstream check ids) it violates and those it meets."""

    name: str
    violates: frozenset[str] = frozenset()
    meets: frozenset[str] = frozenset()
    container: dict[str, Any] = field(default_factory=dict)  # V1SecurityContext arguments of its one container
    pod: dict[str, Any] = field(default_factory=dict)  # V1PodSpec arguments
    pod_context: dict[str, Any] = field(default_factory=dict)  # V1PodSecurityContext arguments
    host_path: bool = False
    host_port: int = 0


def _caps(add: tuple[str, ...] = (), drop: tuple[str, ...] = ()) -> V1Capabilities:
    return V1Capabilities(add=list(add) or None, drop=list(drop) or None)


# the restricted profile's own example: meets every control a node can see at both levels
RESTRICTED_CONTEXT = dict(allow_privilege_escalation=False, capabilities=_caps(drop=("ALL",)), run_as_non_root=True,
                          run_as_user=1000, seccomp_profile=V1SeccompProfile(type="RuntimeDefault"))


def hardened(name: str, violates: tuple[str, ...] = (), meets: tuple[str, ...] = (), **changes: Any) -> Case:
    """A restricted pod with one field changed (`changes`: pod=, pod_context=, host_path=, host_port= or container
    fields): a control's violation is then the only thing between the pod and its level."""
    case_fields = {k: changes.pop(k) for k in ("pod", "pod_context", "host_path", "host_port") if k in changes}
    return Case(name, frozenset(violates), frozenset(meets), {**RESTRICTED_CONTEXT, **changes}, **case_fields)


BASELINE_ALL = ("capabilities_baseline", "privileged", "hostNamespaces", "hostPorts", "hostPathVolumes",
                "appArmorProfile", "seLinuxOptions", "procMount", "seccompProfile_baseline", "sysctls")
CASES = (
    # a pod with nothing set: containerd's default capabilities (NET_RAW among them) are added by no one
    Case("default", meets=frozenset(BASELINE_ALL)),
    Case("add-net-raw", violates=frozenset({"capabilities_baseline"}),
         container=dict(capabilities=_caps(("NET_RAW",)))),
    Case("privileged", violates=frozenset({"privileged"}), container=dict(privileged=True)),
    Case("add-chown", meets=frozenset({"capabilities_baseline"}), container=dict(capabilities=_caps(("CHOWN",)))),
    # baseline controls, each violated by an otherwise restricted pod
    hardened("restricted", meets=(*BASELINE_ALL, "capabilities_restricted", "allowPrivilegeEscalation", "runAsUser",
                                  "seccompProfile_restricted", "procMount_restricted")),
    hardened("host-network", ("hostNamespaces",), pod=dict(host_network=True)),
    hardened("host-pid", ("hostNamespaces",), pod=dict(host_pid=True)),
    hardened("host-ipc", ("hostNamespaces",), pod=dict(host_ipc=True)),
    hardened("host-port", ("hostPorts",), host_port=18080),
    hardened("host-path", ("hostPathVolumes",), host_path=True),
    hardened("add-sys-admin", ("capabilities_baseline", "capabilities_restricted"),
             capabilities=_caps(("SYS_ADMIN",), ("ALL",))),
    hardened("add-cap-chown", ("capabilities_baseline", "capabilities_restricted"),
             capabilities=_caps(("CAP_CHOWN",), ("ALL",))),
    hardened("apparmor-unconfined", ("appArmorProfile",), app_armor_profile=V1AppArmorProfile(type="Unconfined")),
    # (RuntimeDefault and Localhost AppArmor profiles: kubelet admits them only on a node with AppArmor; not this one)
    hardened("selinux-type", ("seLinuxOptions",), se_linux_options=V1SELinuxOptions(type="spc_t")),
    hardened("selinux-user", ("seLinuxOptions",), pod_context=dict(se_linux_options=V1SELinuxOptions(user="system_u"))),
    hardened("selinux-role", ("seLinuxOptions",), se_linux_options=V1SELinuxOptions(role="sysadm_r")),
    hardened("selinux-container-t", meets=("seLinuxOptions",),
             se_linux_options=V1SELinuxOptions(type="container_t", level="s0:c1,c2")),
    hardened("proc-unmasked", ("procMount", "procMount_restricted"), proc_mount="Unmasked"),
    hardened("seccomp-unconfined", ("seccompProfile_baseline", "seccompProfile_restricted"),
             seccomp_profile=V1SeccompProfile(type="Unconfined")),
    hardened("sysctl-unsafe", ("sysctls",), pod_context=dict(sysctls=[V1Sysctl(name="kernel.msgmax", value="65536")])),
    hardened("sysctl-safe", meets=("sysctls",),
             pod_context=dict(sysctls=[V1Sysctl(name="net.ipv4.tcp_syncookies", value="1")])),
    # restricted controls, each violated by an otherwise restricted pod
    hardened("escalation-allowed", ("allowPrivilegeEscalation",), allow_privilege_escalation=None),
    hardened("no-drop-all", ("capabilities_restricted",), capabilities=_caps(drop=("NET_RAW",))),
    hardened("add-bind-service", meets=("capabilities_restricted", "capabilities_baseline"),
             capabilities=_caps(("NET_BIND_SERVICE",), ("ALL",))),
    hardened("restricted-add-chown", ("capabilities_restricted",), meets=("capabilities_baseline",),
             capabilities=_caps(("CHOWN",), ("ALL",))),
    hardened("run-as-root", ("runAsUser", "runAsNonRoot"), run_as_non_root=None, run_as_user=0),
    hardened("seccomp-unset", ("seccompProfile_restricted",), meets=("seccompProfile_baseline",),
             seccomp_profile=None),
)
BASELINE_CONTROLS = frozenset({"privileged", "hostNamespaces", "hostPorts", "hostPathVolumes", "capabilities_baseline",
                               "appArmorProfile", "seLinuxOptions", "procMount", "seccompProfile_baseline", "sysctls"})


def level_of_control(control: str) -> str:
    return BASELINE if control in BASELINE_CONTROLS else RESTRICTED


def pod_of(case: Case, host_dir: str) -> V1Pod:
    """The case as a Kubernetes pod (one container `c`; a hostPath volume of `host_dir` where the case has one)."""
    ports = [V1ContainerPort(container_port=80, host_port=case.host_port)] if case.host_port else None
    mounts = [V1VolumeMount(name="host", mount_path="/host")] if case.host_path else None
    volumes = [V1Volume(name="host", host_path=V1HostPathVolumeSource(path=host_dir))] if case.host_path else None
    context = V1SecurityContext(**case.container) if case.container else None
    container = V1Container(name="c", image="busybox", security_context=context, ports=ports, volume_mounts=mounts)
    spec = V1PodSpec(containers=[container], volumes=volumes,
                     security_context=V1PodSecurityContext(**case.pod_context) if case.pod_context else None,
                     **case.pod)
    return V1Pod(metadata=V1ObjectMeta(name=case.name, namespace=NS, uid=f"pss-{case.name}"), spec=spec)


def _profile(pb: Any, kind: str | None, unset: str) -> Any:
    return pb.SecurityProfile(profile_type=pb.SecurityProfile.ProfileType.Value(kind or unset))


def cri_requests(pb: Any, pod: V1Pod, cgroup_parent: str, log_dir: str) -> tuple[Any, list[Any]]:
    """(PodSandboxConfig, [ContainerConfig]) as kubelet sends them for `pod` (image and command left to the caller)."""
    spec, meta = pod.spec, pod.metadata
    pod_ctx = spec.security_context or V1PodSecurityContext()
    mode = {True: pb.NODE, False: pb.POD}
    namespaces = pb.NamespaceOption(network=mode[spec.host_network is True], pid=mode[spec.host_pid is True],
                                    ipc=mode[spec.host_ipc is True])
    labels = {"io.kubernetes.pod.name": meta.name, "io.kubernetes.pod.namespace": meta.namespace,
              "io.kubernetes.pod.uid": meta.uid}
    contexts = [c.security_context or V1SecurityContext() for c in spec.containers]
    sandbox_ctx = pb.LinuxSandboxSecurityContext(namespace_options=namespaces,
                                                 privileged=any(c.privileged is True for c in contexts))
    if pod_ctx.se_linux_options:
        sandbox_ctx.selinux_options.CopyFrom(_selinux(pb, pod_ctx.se_linux_options))
    if pod_ctx.run_as_user is not None:
        sandbox_ctx.run_as_user.value = pod_ctx.run_as_user
    ports = [pb.PortMapping(container_port=p.container_port, host_port=p.host_port or 0)
             for c in spec.containers for p in c.ports or ()]
    sandbox = pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name=meta.name, namespace=meta.namespace, uid=meta.uid, attempt=0),
        hostname="" if spec.host_network else meta.name, log_directory=log_dir, labels=labels,
        annotations={"kubernetes.io/config.source": "api"}, port_mappings=ports,
        linux=pb.LinuxPodSandboxConfig(cgroup_parent=cgroup_parent, security_context=sandbox_ctx,
                                       sysctls={s.name: s.value for s in pod_ctx.sysctls or ()}))
    volumes = {v.name: v.host_path.path for v in spec.volumes or () if v.host_path}
    configs = []
    for item, ctx in zip(spec.containers, contexts, strict=True):
        caps = ctx.capabilities or V1Capabilities()
        privileged = ctx.privileged is True
        context = pb.LinuxContainerSecurityContext(
            privileged=privileged, namespace_options=namespaces,
            capabilities=pb.Capability(add_capabilities=list(caps.add or ()), drop_capabilities=list(caps.drop or ())),
            no_new_privs=not privileged and ctx.allow_privilege_escalation is False,
            seccomp=_profile(pb, (ctx.seccomp_profile or pod_ctx.seccomp_profile or V1SeccompProfile(type="")).type,
                             "RuntimeDefault"))
        apparmor = (ctx.app_armor_profile or pod_ctx.app_armor_profile)
        if apparmor is not None:
            context.apparmor.CopyFrom(_profile(pb, apparmor.type, "RuntimeDefault"))
        selinux = ctx.se_linux_options or pod_ctx.se_linux_options
        if selinux:
            context.selinux_options.CopyFrom(_selinux(pb, selinux))
        user = ctx.run_as_user if ctx.run_as_user is not None else pod_ctx.run_as_user
        if user is not None:
            context.run_as_user.value = user
        if not privileged and (ctx.proc_mount or "Default") == "Default":
            context.masked_paths.extend(MASKED)
            context.readonly_paths.extend(READONLY)
        configs.append(pb.ContainerConfig(
            metadata=pb.ContainerMetadata(name=item.name, attempt=0),
            labels={**labels, "io.kubernetes.container.name": item.name}, log_path=f"{item.name}/0.log",
            mounts=[pb.Mount(host_path=volumes[m.name], container_path=m.mount_path)
                    for m in item.volume_mounts or () if m.name in volumes],
            linux=pb.LinuxContainerConfig(security_context=context)))
    return sandbox, configs


def _selinux(pb: Any, options: V1SELinuxOptions) -> Any:
    return pb.SELinuxOption(user=options.user or "", role=options.role or "", type=options.type or "",
                            level=options.level or "")


# the oracle's own copy of the upstream lists (kubernetes/pod-security-admission policy/check_capabilities_baseline.go,
# check_seLinuxOptions.go 1.31, check_sysctls.go 1.37), for judging a PodSpec without hostaudit
UPSTREAM_CAPS = {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
                 "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}
UPSTREAM_SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
UPSTREAM_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
                    "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start",
                    "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                    "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem",
                    "net.ipv4.tcp_wmem", "net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"}


def baseline_violations(spec: dict[str, Any]) -> set[str]:
    """The baseline controls a PodSpec (camelCase, as the API serves it) violates, per the upstream definitions."""
    pod_ctx = spec.get("securityContext") or {}
    containers = [*(spec.get("initContainers") or ()), *(spec.get("containers") or ())]
    contexts = [pod_ctx, *(c.get("securityContext") or {} for c in containers)]
    found = set()
    if any((c.get("securityContext") or {}).get("privileged") for c in containers):
        found.add("privileged")
    if any(spec.get(f) for f in ("hostNetwork", "hostPID", "hostIPC")):
        found.add("hostNamespaces")
    if any(p.get("hostPort") for c in containers for p in c.get("ports") or ()):
        found.add("hostPorts")
    if any("hostPath" in v for v in spec.get("volumes") or ()):
        found.add("hostPathVolumes")
    if any(set(((c.get("securityContext") or {}).get("capabilities") or {}).get("add") or ()) - UPSTREAM_CAPS
           for c in containers):
        found.add("capabilities_baseline")
    if any((ctx.get("appArmorProfile") or {}).get("type", "RuntimeDefault") not in ("RuntimeDefault", "Localhost")
           for ctx in contexts):
        found.add("appArmorProfile")
    if any((o := ctx.get("seLinuxOptions") or {}).get("type", "") not in UPSTREAM_SELINUX_TYPES or o.get("user")
           or o.get("role") for ctx in contexts):
        found.add("seLinuxOptions")
    if any((c.get("securityContext") or {}).get("procMount", "Default") != "Default" for c in containers):
        found.add("procMount")
    if any((ctx.get("seccompProfile") or {}).get("type") == "Unconfined" for ctx in contexts):
        found.add("seccompProfile_baseline")
    if {s["name"] for s in pod_ctx.get("sysctls") or ()} - UPSTREAM_SYSCTLS:
        found.add("sysctls")
    return found


def container_statuses(pss: dict[str, Any], control: str) -> set[str]:
    """The statuses a pod's `pss` (as in the JSON report) gives `control` for the pod itself and its container `c`."""
    return {c["status"] for c in pss.get("controls", ()) if c["control"] == control and c["container"] in ("", "c")}


def assert_upstream_verdict(case: Case, pss: dict[str, Any]) -> None:
    """The pod's `pss` agrees with the upstream verdict on `case`: a violated control is not passed and the pod is
    below its level; a met control is not failed, and a pod violating no baseline control is proven baseline (every
    case's baseline controls are observable on a node, see the module docstring)."""
    for control in case.violates:
        found = container_statuses(pss, control)
        assert found & {"fail", "unknown"} and "pass" not in found, (control, pss)
        assert STRICTNESS[pss["level"]] < STRICTNESS[level_of_control(control)], (control, pss)
    for control in case.meets:
        found = container_statuses(pss, control)
        assert found and "fail" not in found, (control, pss)
    if case.meets and BASELINE not in {level_of_control(c) for c in case.violates}:
        assert pss["level"] == BASELINE, pss


def plant(cri: PrivateCri, case: Case) -> None:
    """RunPodSandbox, CreateContainer and StartContainer as kubelet would for the case's pod."""
    from cri_api.v1 import api_pb2 as pb

    pod = pod_of(case, str(cri.base / "host-dir"))
    logs = cri.base / "logs" / case.name
    logs.mkdir(parents=True, exist_ok=True)
    sandbox_config, containers = cri_requests(pb, pod, f"{cri.cgroup_parent}/pod{pod.metadata.uid}", str(logs))
    sandbox = cri.runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=sandbox_config), timeout=60).pod_sandbox_id
    cri.pods.append(sandbox)
    for config in containers:
        config.image.image = CTR_IMAGE
        config.command.extend(["/bin/sleep", "3600"])
        created = cri.runtime.CreateContainer(pb.CreateContainerRequest(
            pod_sandbox_id=sandbox, config=config, sandbox_config=sandbox_config), timeout=60).container_id
        cri.runtime.StartContainer(pb.StartContainerRequest(container_id=created), timeout=60)


@contextlib.contextmanager
def pss_lab() -> Iterator[PrivateCri]:
    """A private containerd with CRI running every case's pod; stopped and removed afterwards."""
    cri = PrivateCri(lab_dir("hapss-"))
    try:
        cri.start()
        (cri.base / "host-dir").mkdir()
        for case in CASES:
            plant(cri, case)
        yield cri
    finally:
        cri.stop()
        shutil.rmtree(cri.base, ignore_errors=True)
