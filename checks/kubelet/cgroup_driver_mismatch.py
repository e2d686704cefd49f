"""The kubelet and containerd manage pod cgroups with different drivers."""

from __future__ import annotations

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.containerd_config import cri_section, default_runtime
from hostaudit.model import HOST, Result, Snapshot

from ..containerd._cri import not_applicable_or_unknown
from .settings import setting

META = CheckMeta(
    id="kubelet.cgroup_driver_mismatch",
    title="Kubelet and containerd use different cgroup drivers",
    severity=Severity.LOW,
    scope=Scope.HOST,
    rationale="When the kubelet's cgroupDriver and containerd's SystemdCgroup disagree, the containers' cgroups are "
              "not where the kubelet put the pod's: the pod-level limits it sets (podPidsLimit, memory, CPU) do not "
              "enclose them, and under pressure the node misbehaves.",
    remediation="Use one driver: cgroupDriver: systemd in the KubeletConfiguration and SystemdCgroup = true on "
                "containerd's runc options (or cgroupfs and false on both), then restart both.",
    references=("https://kubernetes.io/docs/setup/production-environment/container-runtimes/#cgroup-drivers",),
    needs=("kubelet", "containerd"),
)


@register(META)
def evaluate(facts: Snapshot):
    main = facts.containerd.main
    skipped = not_applicable_or_unknown(facts, main, HOST, {})
    if skipped is not None:
        return [skipped]
    driver, source, problem = setting(facts.kubelet, "cgroup-driver", ("cgroupDriver",), "cgroupfs", "cgroupfs")
    config = main.config
    section, table = cri_section(config.data or {})
    name, runtime = default_runtime(section)
    options = runtime.get("options") if isinstance(runtime.get("options"), dict) else {}
    systemd = options.get("SystemdCgroup", False)
    evidence = {"kubelet.cgroupDriver": driver, "kubelet.source": source,
                "containerd.SystemdCgroup": systemd,
                "containerd.source": f"{config.path}: {table}.containerd.runtimes.{name}.options.SystemdCgroup"
                if "SystemdCgroup" in options else "default (false)"}
    if problem is not None or driver not in ("systemd", "cgroupfs") or not isinstance(systemd, bool):
        return [Result.unknown(HOST, {**evidence, "error": problem or "unrecognised value"})]
    if (driver == "systemd") != systemd:
        return [Result.failed(HOST, evidence)]
    return [Result.passed(HOST, evidence)]
