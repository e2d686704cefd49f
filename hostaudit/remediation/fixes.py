"""One table from container check ids to their fix: the `docker run` flag change, and the Kubernetes pod fields.

A fix never recreates a container: it says what to change where the container is defined (compose file, run
script, pod template). Dangerous-capability checks (`container.cap_<name>`) share one rule built from the id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CAP_CHECK_PREFIX = "container.cap_"


@dataclass(frozen=True)
class Fix:
    """What fixes one failing container check."""

    docker: str  # the `docker run` change, e.g. "remove --privileged"
    container_context: dict[str, Any] = field(default_factory=dict)  # container securityContext fields
    pod_context: dict[str, Any] = field(default_factory=dict)  # pod securityContext fields
    pod_spec: dict[str, Any] = field(default_factory=dict)  # pod spec fields, e.g. hostNetwork: false
    drop_caps: tuple[str, ...] = ()  # capabilities to leave out of capabilities.add
    remove_host_path: bool = False  # the finding's hostPath mount has to go


def _host_path(docker: str) -> Fix:
    return Fix(docker, remove_host_path=True)


FIXES: dict[str, Fix] = {
    "container.privileged": Fix("remove --privileged", {"privileged": False, "allowPrivilegeEscalation": False,
                                                        "capabilities": {"drop": ["ALL"]}}),
    "container.capabilities_added": Fix("--cap-drop ALL, then --cap-add only the capabilities it needs",
                                        {"capabilities": {"drop": ["ALL"]}}),
    "container.docker_socket_mounted": _host_path("remove the -v/--mount that exposes the runtime socket"),
    "container.host_root_mounted": _host_path("remove the -v/--mount of the host's /"),
    "container.sensitive_mount": _host_path("remove the -v/--mount of host system paths"),
    "container.host_network": Fix("remove --network host", pod_spec={"hostNetwork": False}),
    "container.host_pid": Fix("remove --pid host", pod_spec={"hostPID": False}),
    "container.host_ipc": Fix("remove --ipc host", pod_spec={"hostIPC": False}),
    "container.host_uts": Fix("remove --uts host"),
    "container.host_userns": Fix("remove --userns host (or run the daemon with userns-remap)",
                                 pod_spec={"hostUsers": False}),
    "container.host_cgroupns": Fix("--cgroupns private"),
    "container.seccomp_unconfined": Fix("remove --security-opt seccomp=unconfined",
                                        {"seccompProfile": {"type": "RuntimeDefault"}},
                                        {"seccompProfile": {"type": "RuntimeDefault"}}),
    "container.apparmor_unconfined": Fix("remove --security-opt apparmor=unconfined",
                                         {"appArmorProfile": {"type": "RuntimeDefault"}}),
    "container.selinux_disabled": Fix("remove --security-opt label=disable (or label:disable)",
                                      {"seLinuxOptions": {"type": "container_t"}}),
    "container.no_new_privileges_unset": Fix("--security-opt no-new-privileges", {"allowPrivilegeEscalation": False}),
    "container.runs_as_root": Fix("--user <uid>:<gid> with a non-root uid the image supports",
                                  {"runAsNonRoot": True}, {"runAsNonRoot": True, "runAsUser": 10000}),
    "container.rootfs_writable": Fix("--read-only (add --tmpfs for paths it must write)",
                                     {"readOnlyRootFilesystem": True}),
    "container.no_memory_limit": Fix("--memory <limit>"),
    "container.no_pids_limit": Fix("--pids-limit <n>"),
}


def fix_for(check_id: str) -> Fix | None:
    """The fix of a container check, or None when the table has none (the finding's own remediation text applies)."""
    if check_id in FIXES:
        return FIXES[check_id]
    if check_id.startswith(CAP_CHECK_PREFIX):
        cap = check_id.removeprefix(CAP_CHECK_PREFIX).upper()
        return Fix(f"--cap-drop {cap} (and remove --cap-add {cap})", {"capabilities": {"drop": ["ALL"]}},
                   drop_caps=(cap,))
    return None
