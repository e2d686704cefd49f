"""One table from container check ids to the Kubernetes pod fields that fix them.

A fix never recreates a container: it says what to change in the pod template. The `docker run` change is the
check's own `remediation` text (one home, in the check's metadata). Dangerous-capability checks
(`container.cap_<name>`) share one rule built from the id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CAP_CHECK_PREFIX = "container.cap_"
# drop every capability and add none back: a strategic merge keeps the keys a patch does not name, so `add` is given
# (empty) to replace whatever the container added; what it really needs is for its owner to add back
NO_CAPABILITIES = {"drop": ["ALL"], "add": []}


@dataclass(frozen=True)
class Fix:
    """What fixes one failing container check in a pod template."""

    container_context: dict[str, Any] = field(default_factory=dict)  # container securityContext fields
    pod_context: dict[str, Any] = field(default_factory=dict)  # pod securityContext fields
    pod_spec: dict[str, Any] = field(default_factory=dict)  # pod spec fields, e.g. hostNetwork: false


FIXES: dict[str, Fix] = {
    "container.privileged": Fix({"privileged": False, "allowPrivilegeEscalation": False,
                                 "capabilities": NO_CAPABILITIES}),
    "container.capabilities_added": Fix({"capabilities": NO_CAPABILITIES}),
    "container.docker_socket_mounted": Fix(),
    "container.host_root_mounted": Fix(),
    "container.sensitive_mount": Fix(),
    "container.host_network": Fix(pod_spec={"hostNetwork": False}),
    "container.host_pid": Fix(pod_spec={"hostPID": False}),
    "container.host_ipc": Fix(pod_spec={"hostIPC": False}),
    # a pod shares the host's UTS namespace only through hostNetwork (there is no hostUTS field)
    "container.host_uts": Fix(pod_spec={"hostNetwork": False}),
    "container.host_userns": Fix(pod_spec={"hostUsers": False}),
    "container.host_cgroupns": Fix(),
    "container.seccomp_unconfined": Fix({"seccompProfile": {"type": "RuntimeDefault"}},
                                        {"seccompProfile": {"type": "RuntimeDefault"}}),
    "container.masked_paths_removed": Fix({"procMount": "Default"}),
    "container.apparmor_unconfined": Fix({"appArmorProfile": {"type": "RuntimeDefault"}}),
    "container.selinux_disabled": Fix({"seLinuxOptions": {"type": "container_t"}}),
    "container.no_new_privileges_unset": Fix({"allowPrivilegeEscalation": False}),
    "container.runs_as_root": Fix({"runAsNonRoot": True, "runAsUser": 10000, "runAsGroup": 10000}),
    "container.rootfs_writable": Fix({"readOnlyRootFilesystem": True}),
    "container.no_memory_limit": Fix(),
    "container.no_pids_limit": Fix(),
    "container.no_cpu_limit": Fix(),  # resources are the owner's to size, never guessed
    "container.device_cgroup_allow_all": Fix({"privileged": False}),
    # a writable /sys, /proc/sys or cgroupfs comes from privileged or an unmasked /proc (a hostPath of them is
    # container.sensitive_mount's, whose volumes the patch deletes)
    "container.sysfs_writable": Fix({"privileged": False, "procMount": "Default"}),
    "container.proc_sys_writable": Fix({"privileged": False, "procMount": "Default"}),
    "container.cgroupfs_writable": Fix({"privileged": False, "procMount": "Default"}),
    "container.net_raw_on_shared_network": Fix({"capabilities": NO_CAPABILITIES}),
    "container.ptrace_host_pid": Fix({"capabilities": NO_CAPABILITIES}, pod_spec={"hostPID": False}),
    "container.seccomp_allows_dangerous_syscalls": Fix({"seccompProfile": {"type": "RuntimeDefault"}},
                                                       {"seccompProfile": {"type": "RuntimeDefault"}}),
}


def fix_for(check_id: str) -> Fix | None:
    """The fix of a container check, or None when the table has none (the finding's own remediation text applies)."""
    if check_id in FIXES:
        return FIXES[check_id]
    if check_id.startswith(CAP_CHECK_PREFIX):
        return Fix({"capabilities": NO_CAPABILITIES})
    return None
