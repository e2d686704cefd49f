"""Turn a Docker inspect document or an OCI runtime spec into one `Container` model.

Both functions are pure and tolerate hostile or malformed input: a field of the wrong type reads as absent.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

from hostaudit.caps import normalize as cap_name
from hostaudit.model import Container, Mount, PodRef, PortBinding

CRI = "io.kubernetes.cri."
OCI_NAMESPACES = {"network": "network", "pid": "pid", "ipc": "ipc", "uts": "uts", "user": "user", "cgroup": "cgroup"}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(v for v in _list(value) if isinstance(v, str))


def _labels(value: Any) -> dict[str, str]:
    return {str(k): v if isinstance(v, str) else str(v) for k, v in _dict(value).items()}


# ---------------------------------------------------------------- Docker


def _security_opt(opts: tuple[str, ...]) -> dict[str, str]:
    """`seccomp=unconfined`, `seccomp:unconfined`, `no-new-privileges`, `label=disable`... as key -> value."""
    parsed: dict[str, str] = {}
    for opt in opts:
        sep = "=" if "=" in opt else ":"
        key, _, value = opt.partition(sep)
        if key == "label":
            parsed.setdefault("label", "")
            parsed["label"] += ("," if parsed["label"] else "") + value
        else:
            parsed[key] = value if value else "true"
    return parsed


def _docker_seccomp_profile(value: str) -> dict[str, Any] | None:
    """The profile itself when `seccomp=` carries its JSON (the CLI sends a custom profile's content)."""
    if not value.lstrip().startswith("{"):
        return None
    try:
        profile = json.loads(value)
    except ValueError:
        return None
    return profile if isinstance(profile, dict) else None


def _docker_namespace(mode: str, unset: str = "private") -> str:
    """`host`, `container:<x>`, `private`, or for an unset mode `unset` (`default`: the daemon decides)."""
    if mode == "host" or mode.startswith("container:"):
        return mode
    return unset if mode in ("", "default") else "private"


def _docker_ports(host_config: dict[str, Any]) -> tuple[PortBinding, ...]:
    ports = []
    for container_port, bindings in _dict(host_config.get("PortBindings")).items():
        for binding in _list(bindings):
            binding = _dict(binding)
            ports.append(PortBinding(str(container_port), _str(binding.get("HostIp")), _str(binding.get("HostPort"))))
    return tuple(ports)


def _device_requests(host_config: dict[str, Any]) -> tuple[str, ...]:
    """`--gpus` and other device requests as "driver:capability,...", e.g. "nvidia:gpu"."""
    found = []
    for request in map(_dict, _list(host_config.get("DeviceRequests"))):
        capabilities = [c for group in _list(request.get("Capabilities")) for c in _strings(group)]
        found.append(f"{_str(request.get('Driver')) or 'default'}:{','.join(capabilities)}")
    return tuple(found)


def from_docker(data: dict[str, Any]) -> Container:
    """A container from `GET /containers/{id}/json`."""
    host = _dict(data.get("HostConfig"))
    config = _dict(data.get("Config"))
    state = _dict(data.get("State"))
    name = _str(data.get("Name")).lstrip("/") or _str(data.get("Id"))[:12]
    privileged = host.get("Privileged") is True
    secopt = _security_opt(_strings(host.get("SecurityOpt")))
    seccomp_value = secopt.get("seccomp", "")
    if privileged or seccomp_value == "unconfined":
        seccomp = "unconfined"
    elif seccomp_value and seccomp_value != "builtin":
        seccomp = "custom"
    else:
        seccomp = "default"
    no_new_privileges = secopt.get("no-new-privileges", "false").lower() in ("true", "1")
    apparmor = _str(data.get("AppArmorProfile")) or secopt.get("apparmor", "")
    label = secopt.get("label", "")
    selinux = "disable" if "disable" in label.split(",") else _str(data.get("ProcessLabel"))
    network = _str(host.get("NetworkMode"))
    network_ns = "host" if network == "host" else network if network.startswith("container:") else (
        "none" if network == "none" else "private")
    healthcheck = _dict(config.get("Healthcheck"))
    health_test = _strings(healthcheck.get("Test"))
    pids_limit = host.get("PidsLimit")
    masked = host.get("MaskedPaths")
    readonly = host.get("ReadonlyPaths")
    restart = _dict(host.get("RestartPolicy"))
    pid = _int(state.get("Pid"))
    return Container(
        key=f"docker:{name}",
        name=name,
        id=_str(data.get("Id")),
        source="docker",
        image=_str(config.get("Image")) or _str(data.get("Image")),
        state=_str(state.get("Status")) or "unknown",
        pid=pid if pid > 0 else None,
        privileged=privileged,
        user=_str(config.get("User")),
        cap_add=tuple(cap_name(c) for c in _strings(host.get("CapAdd"))),
        cap_drop=tuple(cap_name(c) for c in _strings(host.get("CapDrop"))),
        bounding_caps=None,
        seccomp=seccomp,
        seccomp_profile=_docker_seccomp_profile(seccomp_value) if seccomp == "custom" else None,
        apparmor_profile="unconfined" if privileged and not apparmor else apparmor,
        selinux_label=selinux,
        no_new_privileges=no_new_privileges,
        readonly_rootfs=host.get("ReadonlyRootfs") is True,
        mounts=tuple(
            Mount(_str(m.get("Source")), _str(m.get("Destination")), _str(m.get("Type")), m.get("RW") is not False,
                  _str(m.get("Propagation")))
            for m in map(_dict, _list(data.get("Mounts")))
        ),
        namespaces={
            "network": network_ns,
            "pid": _docker_namespace(_str(host.get("PidMode"))),
            "ipc": _docker_namespace(_str(host.get("IpcMode"))),
            "uts": _docker_namespace(_str(host.get("UTSMode"))),
            "user": _docker_namespace(_str(host.get("UsernsMode")), unset="default"),
            "cgroup": _docker_namespace(_str(host.get("CgroupnsMode")), unset="default"),
        },
        memory_limit=_int(host.get("Memory")),
        pids_limit=pids_limit if isinstance(pids_limit, int) and pids_limit > 0 else None,
        cpu_shares=_int(host.get("CpuShares")),
        nano_cpus=_int(host.get("NanoCpus")),
        cgroup_parent=_str(host.get("CgroupParent")),
        devices=tuple(_str(_dict(d).get("PathOnHost")) for d in _list(host.get("Devices"))),
        device_cgroup_rules=_strings(host.get("DeviceCgroupRules")),
        masked_paths=None if privileged or secopt.get("systempaths") == "unconfined" else _strings(masked)
        if isinstance(masked, list) else None,
        readonly_paths=None if privileged or secopt.get("systempaths") == "unconfined" else _strings(readonly)
        if isinstance(readonly, list) else None,
        restart_policy=_str(restart.get("Name")) or "no",
        restart_max_retries=_int(restart.get("MaximumRetryCount")),
        ports=_docker_ports(host),
        labels=_labels(config.get("Labels")),
        healthcheck=bool(health_test) and health_test[0] != "NONE",
        runtime=_str(host.get("Runtime")),
        ulimits=tuple(f"{_str(_dict(u).get('Name'))}={_dict(u).get('Soft')}:{_dict(u).get('Hard')}"
                      for u in _list(host.get("Ulimits"))),
        network_mode=network,
        networks=tuple(sorted(_dict(_dict(data.get("NetworkSettings")).get("Networks")))),
        cpu_quota=_int(host.get("CpuQuota")),
        device_requests=_device_requests(host),
    )


# ---------------------------------------------------------------- OCI (containerd)


def _oci_mount(raw: dict[str, Any]) -> Mount:
    options = _strings(raw.get("options"))
    propagation = next((o for o in options if o in ("shared", "rshared", "slave", "rslave", "private", "rprivate")),
                       "")
    kind = _str(raw.get("type")) or ("bind" if "bind" in options or "rbind" in options else "")
    if kind == "bind" or "rbind" in options or "bind" in options:
        kind = "bind"
    return Mount(_str(raw.get("source")), _str(raw.get("destination")), kind, "ro" not in options, propagation)


def _device_rules(resources: dict[str, Any]) -> tuple[str, ...]:
    rules = []
    for rule in map(_dict, _list(resources.get("devices"))):
        if rule.get("allow") is True:
            major = rule.get("major")
            minor = rule.get("minor")
            rules.append(f"{_str(rule.get('type')) or 'a'} {'*' if major is None else major}:"
                         f"{'*' if minor is None else minor} {_str(rule.get('access')) or 'rwm'}")
    return tuple(rules)


def pod_of(annotations: dict[str, str], task_id: str) -> PodRef | None:
    """The Kubernetes pod a CRI container or sandbox belongs to, from its `io.kubernetes.cri.*` annotations."""
    kind = annotations.get(CRI + "container-type")
    if kind not in ("sandbox", "container"):
        return None
    sandbox_id = task_id if kind == "sandbox" else annotations.get(CRI + "sandbox-id", "")
    return PodRef(
        namespace=annotations.get(CRI + "sandbox-namespace", ""),
        name=annotations.get(CRI + "sandbox-name", ""),
        container_name=annotations.get(CRI + "container-name", "") if kind == "container" else "",
        sandbox_id=sandbox_id,
    )


def from_oci(spec: dict[str, Any], namespace: str, task_id: str, pid: int | None, state: str) -> Container:
    """A containerd task from its bundle's config.json."""
    process = _dict(spec.get("process"))
    linux = _dict(spec.get("linux"))
    resources = _dict(linux.get("resources"))
    user = _dict(process.get("user"))
    caps = _dict(process.get("capabilities"))
    bounding = tuple(sorted({cap_name(c) for c in _strings(caps.get("bounding"))}))
    annotations = _labels(spec.get("annotations"))
    pod = pod_of(annotations, task_id)
    declared_ns = {_str(_dict(n).get("type")): _str(_dict(n).get("path")) for n in _list(linux.get("namespaces"))}
    namespaces = {
        ours: ("host" if oci not in declared_ns else f"path:{declared_ns[oci]}" if declared_ns[oci] else "private")
        for oci, ours in OCI_NAMESPACES.items()
    }
    device_rules = _device_rules(resources)
    masked = _strings(linux.get("maskedPaths"))
    seccomp = linux.get("seccomp")
    privileged = not masked and "a *:* rwm" in device_rules and "SYS_ADMIN" in bounding
    if pod is not None:
        name = f"{pod.namespace}/{pod.name}/{pod.container_name or '(sandbox)'}"
        key = f"k8s:{name}"
    else:
        name = f"{namespace}/{task_id}"
        key = f"containerd:{name}"
    memory = _dict(resources.get("memory")).get("limit")
    pids = _dict(resources.get("pids")).get("limit")
    return Container(
        key=key,
        name=name,
        id=task_id,
        source="containerd",
        image=annotations.get(CRI + "image-name", ""),
        state=state,
        pid=pid,
        privileged=privileged,
        user=f"{_int(user.get('uid'))}:{_int(user.get('gid'))}",
        cap_add=(),
        cap_drop=(),
        bounding_caps=bounding,
        seccomp="unconfined" if not isinstance(seccomp, dict) else "custom",
        seccomp_profile=seccomp if isinstance(seccomp, dict) else None,
        apparmor_profile=_str(process.get("apparmorProfile")),
        selinux_label=_str(process.get("selinuxLabel")),
        no_new_privileges=process.get("noNewPrivileges") is True,
        readonly_rootfs=_dict(spec.get("root")).get("readonly") is True,
        mounts=tuple(_oci_mount(_dict(m)) for m in _list(spec.get("mounts"))),
        namespaces=namespaces,
        memory_limit=memory if isinstance(memory, int) and memory > 0 else 0,
        pids_limit=pids if isinstance(pids, int) and pids > 0 else None,
        cpu_shares=_int(_dict(resources.get("cpu")).get("shares")),
        nano_cpus=0,
        cgroup_parent=_str(linux.get("cgroupsPath")),
        devices=tuple(_str(_dict(d).get("path")) for d in _list(linux.get("devices"))),
        device_cgroup_rules=device_rules,
        masked_paths=masked,
        readonly_paths=_strings(linux.get("readonlyPaths")),
        restart_policy="",
        restart_max_retries=0,
        ports=(),
        labels={},
        healthcheck=False,
        runtime="",
        annotations=annotations,
        pod=pod,
        namespace=namespace,
        cpu_quota=_int(_dict(resources.get("cpu")).get("quota")),
        hooks=tuple(_str(_dict(h).get("path")) for hooks in _dict(spec.get("hooks")).values()
                    for h in _list(hooks)),
    )


def distinct_subjects(found: Iterable[tuple[Container, str, str]]) -> list[Container]:
    """The containers, one subject each: from (container, key qualifier, name qualifier), those whose keys collide
    (two containers with one name, as a user's own database may list them) keep them only with their qualifiers
    appended, so that no container's facts, verdict or waiver ever stand for another's."""
    found = list(found)
    counts = Counter(ctr.key for ctr, _, _ in found)
    return [ctr if counts[ctr.key] == 1 else dataclasses.replace(ctr, key=f"{ctr.key}@{key}",
                                                                  name=f"{ctr.name} ({name})")
            for ctr, key, name in found]
