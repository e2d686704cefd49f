"""One table from container check ids to their fix: the `docker run` flag change, and the Kubernetes pod fields.

A fix never recreates a container: it says what to change where the container is defined (compose file, run
script, pod template). Dangerous-capability checks (`container.cap_<name>`) share one rule built from the id.
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
    """What fixes one failing container check."""

    docker: str  # the `docker run` change, e.g. "remove --privileged"
    container_context: dict[str, Any] = field(default_factory=dict)  # container securityContext fields
    pod_context: dict[str, Any] = field(default_factory=dict)  # pod securityContext fields
    pod_spec: dict[str, Any] = field(default_factory=dict)  # pod spec fields, e.g. hostNetwork: false


FIXES: dict[str, Fix] = {
    "container.privileged": Fix("remove --privileged", {"privileged": False, "allowPrivilegeEscalation": False,
                                                        "capabilities": NO_CAPABILITIES}),
    "container.capabilities_added": Fix("--cap-drop ALL, then --cap-add only the capabilities it needs",
                                        {"capabilities": NO_CAPABILITIES}),
    "container.docker_socket_mounted": Fix("remove the -v/--mount of the Docker socket"),
    "container.host_root_mounted": Fix("remove the -v/--mount of the host's /"),
    "container.sensitive_mount": Fix("remove the -v/--mount of host system paths"),
    "container.host_network": Fix("remove --network host", pod_spec={"hostNetwork": False}),
    "container.host_pid": Fix("remove --pid host", pod_spec={"hostPID": False}),
    "container.host_ipc": Fix("remove --ipc host", pod_spec={"hostIPC": False}),
    # a pod shares the host's UTS namespace only through hostNetwork (there is no hostUTS field)
    "container.host_uts": Fix("remove --uts host", pod_spec={"hostNetwork": False}),
    "container.host_userns": Fix("remove --userns host (or run the daemon with userns-remap)",
                                 pod_spec={"hostUsers": False}),
    "container.host_cgroupns": Fix("--cgroupns private"),
    "container.seccomp_unconfined": Fix("remove --security-opt seccomp=unconfined",
                                        {"seccompProfile": {"type": "RuntimeDefault"}},
                                        {"seccompProfile": {"type": "RuntimeDefault"}}),
    "container.masked_paths_removed": Fix("remove --security-opt systempaths=unconfined", {"procMount": "Default"}),
    "container.apparmor_unconfined": Fix("remove --security-opt apparmor=unconfined",
                                         {"appArmorProfile": {"type": "RuntimeDefault"}}),
    "container.selinux_disabled": Fix("remove --security-opt label=disable (or label:disable)",
                                      {"seLinuxOptions": {"type": "container_t"}}),
    "container.no_new_privileges_unset": Fix("--security-opt no-new-privileges", {"allowPrivilegeEscalation": False}),
    "container.runs_as_root": Fix("--user <uid>:<gid> with a non-root uid the image supports",
                                  {"runAsNonRoot": True, "runAsUser": 10000, "runAsGroup": 10000}),
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
        return Fix(f"--cap-drop {cap} (and remove --cap-add {cap})", {"capabilities": NO_CAPABILITIES})
    return None
