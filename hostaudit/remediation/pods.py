"""Per Kubernetes workload, one strategic-merge patch at the path its kind keeps the pod template, that brings the
pod to at least the Pod Security Standards baseline.

The patch is driven by the pod's failing PSS controls and its failing container findings from the JSON report.
It never adds a capability back, asks for nothing the node's runtime cannot honour (it says why instead), and names
only real PodSpec fields. hostPath volumes cannot be removed by a patch without their volume name, which the node
does not know: each is listed with its host path and mount path, and the patch deletes its volumeMount.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any

from hostaudit.evidence import MOUNT_DESTINATION, MOUNT_SOURCE
from hostaudit.parsers import parse_version
from hostaudit.remediation.fixes import Fix, fix_for

# where each controller keeps the PodSpec of its pods
TEMPLATE_PATH = {
    "Deployment": ("spec", "template", "spec"), "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"), "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"), "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}
SANDBOX = "(sandbox)"
HOST_PATH_CHECKS = MOUNT_DESTINATION.writers  # the checks that name the host mount they found
NON_ROOT_ID = 10000  # a uid/gid to run as when the image names none; the workload must be able to run as it
HOST_NAMESPACE_FIELDS = {"network": "hostNetwork", "pid": "hostPID", "ipc": "hostIPC"}
# the check whose fix answers each PSS control (hostaudit.pss; ids as in pod-security-admission policy/check_<id>.go)
CONTROL_CHECKS = {
    "privileged": "container.privileged", "capabilities_baseline": "container.capabilities_added",
    "capabilities_restricted": "container.capabilities_added",
    "seccompProfile_baseline": "container.seccomp_unconfined",
    "seccompProfile_restricted": "container.seccomp_unconfined",
    "procMount": "container.masked_paths_removed", "procMount_restricted": "container.masked_paths_removed",
    "allowPrivilegeEscalation": "container.no_new_privileges_unset", "runAsNonRoot": "container.runs_as_root",
    "runAsUser": "container.runs_as_root",
}
# control names of reports written before the upstream check ids were used (same report_version)
EARLIER_NAMES = {
    "host_namespaces": "hostNamespaces", "host_path_volumes": "hostPathVolumes", "proc_mount": "procMount",
    "seccomp": "seccompProfile_baseline", "seccomp_profile": "seccompProfile_restricted", "apparmor": "appArmorProfile",
    "privilege_escalation": "allowPrivilegeEscalation", "run_as_non_root": "runAsNonRoot",
}
# controls no container check answers: a strategic-merge null deletes the field, so the pod falls back to what the
# runtime applies when nothing is asked (an allowed value): AppArmor's default where the node has AppArmor (asking
# for RuntimeDefault would stop the pod on a node without it), the runtime's SELinux type, no custom user or role
UNSET_SELINUX = {"seLinuxOptions": {"user": None, "role": None, "type": None}}
CONTROL_FIXES = {
    "appArmorProfile": Fix({"appArmorProfile": None}, {"appArmorProfile": None}),
    "seLinuxOptions": Fix(UNSET_SELINUX, UNSET_SELINUX),
    "sysctls": Fix(pod_context={"sysctls": None}),
}
# controls a patch cannot fix from what the node knows: what to do instead
CONTROL_NOTES = {
    "hostPorts": "hostPorts: remove the hostPort of every container port (the node does not say which container "
                 "declares it); a Service gives the same reach without binding the node's port",
    "sysctls": "sysctls: the patch removes them all; add back only the safe ones the workload needs",
}
# runtimes that map a pod into a user namespace for hostUsers: false (KEP-127): containerd 2.0, CRI-O 1.25
USERNS_RUNTIMES = {"containerd": (2, 0), "cri-o": (1, 25)}


def _runtime(report: dict[str, Any]) -> tuple[str, tuple[int, ...] | None, str]:
    """(runtime name, parsed version, as reported) of the node's CRI runtime."""
    host = report.get("host") if isinstance(report.get("host"), dict) else {}
    cri = str(host.get("cri_runtime") or "")
    if cri:
        name, _, version = cri.partition(" ")
        return name.lower(), parse_version(version), cri
    containerd = host.get("containerd")
    return "containerd", parse_version(str(containerd) if containerd else None), f"containerd {containerd or '?'}"


def host_users_note(report: dict[str, Any]) -> tuple[bool, str]:
    """Whether `hostUsers: false` can be asked for on this node, and why (not)."""
    name, version, shown = _runtime(report)
    needed = USERNS_RUNTIMES.get(name)
    if needed is None or version is None:
        return False, f"hostUsers: false not suggested: cannot tell whether the runtime ({shown}) supports pod " \
                      "user namespaces"
    if version < needed:
        return False, (f"hostUsers: false not suggested: {shown} ignores it (pod user namespaces need {name} "
                       f"{'.'.join(map(str, needed))} or later, and Linux 6.3+ with idmapped mounts); upgrade the "
                       "runtime first")
    return True, f"hostUsers: false (pod user namespace; {shown} supports it)"


def _nest(path: tuple[str, ...], spec: dict[str, Any]) -> dict[str, Any]:
    patch: dict[str, Any] = spec
    for key in reversed(path):
        patch = {key: patch}
    return patch


def _container_name(container: dict[str, Any]) -> str:
    name = str(container.get("name", ""))
    pod = str(container.get("pod") or "")
    return name.removeprefix(f"{pod}/").split("@", 1)[0]


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        merged[key] = _merge(merged[key], value) if isinstance(merged.get(key), dict) and isinstance(value, dict) \
            else copy.deepcopy(value)
    return merged


def _fixes(controls: set[str], checks: set[str]) -> list[Fix]:
    """The fixes a container needs: those of its failing checks and of its failing PSS controls."""
    wanted = set(checks) | {CONTROL_CHECKS[c] for c in controls if c in CONTROL_CHECKS}
    found = [fix for fix in map(fix_for, sorted(wanted)) if fix is not None]
    return found + [CONTROL_FIXES[c] for c in sorted(controls) if c in CONTROL_FIXES]


def _host_path_mounts(pod: dict[str, Any], findings: list[dict[str, Any]], containers: dict[str, dict[str, Any]]
                      ) -> list[dict[str, Any]]:
    """The pod's hostPath mounts: as the report lists them, plus those a finding names (reports of older versions)."""
    mounts = [m for m in pod.get("host_path_mounts") or () if isinstance(m, dict)]
    for finding in findings:
        evidence = finding.get("evidence") or {}
        destination = MOUNT_DESTINATION.read(evidence)
        if finding.get("check_id") in HOST_PATH_CHECKS and destination:
            name = _container_name(containers.get(finding["subject"].get("key", ""), {}))
            if not any(m.get("container") == name and m.get("mount_path") == destination for m in mounts):
                mounts.append({"container": name, "host_path": MOUNT_SOURCE.read(evidence), "mount_path": destination})
    return mounts


def pod_patch(report: dict[str, Any], pod: dict[str, Any], findings: list[dict[str, Any]],
              containers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The patch document of one pod (`pod` as in the report's `pods`), with what it cannot fix said in notes."""
    pss = pod.get("pss") if isinstance(pod.get("pss"), dict) else {}
    controls: dict[str, set[str]] = defaultdict(set)
    for control in pss.get("failing") or ():
        name = str(control.get("control"))
        controls[str(control.get("container", ""))].add(EARLIER_NAMES.get(name, name))
    checks: dict[str, set[str]] = defaultdict(set)
    for finding in findings:
        checks[_container_name(containers.get(finding["subject"].get("key", ""), {}))].add(finding.get("check_id", ""))
    spec: dict[str, Any] = {HOST_NAMESPACE_FIELDS[k]: False for k in sorted(pod.get("host_namespaces") or ())
                            if k in HOST_NAMESPACE_FIELDS}
    notes: list[str] = []
    every_check = {c for names in checks.values() for c in names}
    for fix in map(fix_for, sorted(every_check)):
        if fix is not None:
            spec = _merge(spec, {k: v for k, v in fix.pod_spec.items() if k != "hostUsers"})
    if "container.host_userns" in every_check:
        allowed, why = host_users_note(report)
        if allowed:
            spec["hostUsers"] = False
        notes.append(why)
    if "container.host_cgroupns" in every_check:
        notes.append("the cgroup namespace has no PodSpec field: on cgroup v2 the runtime gives each container its "
                     "own; on cgroup v1 upgrade the node")
    pod_context: dict[str, Any] = {}
    for control in sorted({c for names in controls.values() for c in names}):
        if control in CONTROL_NOTES:
            notes.append(CONTROL_NOTES[control])
        if control in controls[""] and control in CONTROL_FIXES:
            pod_context = _merge(pod_context, CONTROL_FIXES[control].pod_context)
    names = sorted((set(controls) | set(checks)) - {"", SANDBOX})
    patched = []
    mounts = _host_path_mounts(pod, findings, containers)
    for name in names:
        context: dict[str, Any] = {}
        for fix in _fixes(controls[name], checks[name]):
            context = _merge(context, fix.container_context)
            pod_context = _merge(pod_context, fix.pod_context)
        entry: dict[str, Any] = {"name": name}
        if context:
            entry["securityContext"] = context
        gone = sorted({str(m.get("mount_path")) for m in mounts if m.get("container") == name})
        if gone:
            entry["volumeMounts"] = [{"mountPath": path, "$patch": "delete"} for path in gone]
        if len(entry) > 1:
            patched.append(entry)
    init = set(pod.get("init_containers") or ())
    if [c for c in patched if c["name"] in init]:
        spec["initContainers"] = [c for c in patched if c["name"] in init]
    if [c for c in patched if c["name"] not in init]:
        spec["containers"] = [c for c in patched if c["name"] not in init]
    if pod_context:
        spec["securityContext"] = pod_context
    kind = str(pod.get("owner_kind") or "") or "Pod"
    name = str(pod.get("owner_name") or "") if kind != "Pod" else str(pod.get("name", ""))
    path = TEMPLATE_PATH.get(kind, TEMPLATE_PATH["Pod"])
    if kind == "Pod":
        notes.append("bare pod: most of a pod's spec cannot change in place; apply the patch to its manifest and "
                     "recreate the pod")
    return {
        "workload": {"namespace": pod.get("namespace"), "kind": kind, "name": name, "pod": pod.get("name")},
        "apply_to": f"{'.'.join(path)} of the {kind}: kubectl patch --type strategic (containers matched by name, "
                    "volumeMounts by mountPath; init containers as the node's start order shows them)",
        "pod_security": {"level": pss.get("level"), "after_patch": "baseline or better"},
        "patch": _nest(path, spec),
        "remove_host_path_volumes": [{"container": m.get("container"), "mount_path": m.get("mount_path"),
                                      "host_path": m.get("host_path")} for m in mounts],
        "notes": notes,
        "findings": [{"container": n, "check": c} for n, c in sorted({(n, c) for n, ids in checks.items()
                                                                        for c in ids})],
    }


def pod_patches(report: dict[str, Any], findings: list[dict[str, Any]], containers: dict[str, dict[str, Any]]
                ) -> list[dict[str, Any]]:
    """One patch document per pod that fails a PSS control or a container check."""
    by_pod: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for finding in findings:
        pod = containers.get(finding["subject"].get("key", ""), {}).get("pod")
        if pod:
            by_pod[str(pod)].append(finding)
    pods = {f"{p.get('namespace')}/{p.get('name')}": p for p in report.get("pods") or () if isinstance(p, dict)}
    documents = []
    for key in sorted(set(by_pod) | {k for k, p in pods.items() if (p.get("pss") or {}).get("failing")}):
        namespace, _, name = key.partition("/")
        pod = pods.get(key) or {"namespace": namespace, "name": name}
        documents.append(pod_patch(report, pod, by_pod.get(key, []), containers))
    return documents
