"""The LSM confinement of a container, judged only where the host runs that LSM."""

from __future__ import annotations

from hostaudit.model import Container, Snapshot, Status

from ._subjects import Judgement


def apparmor_judgement(facts: Snapshot, ctr: Container) -> Judgement:
    host = facts.host
    if host is None or not host.apparmor_enabled:
        return Status.NOT_APPLICABLE, {"host.apparmor_enabled": host.apparmor_enabled if host else None}
    proc = facts.process(ctr)
    evidence = {"apparmor.declared": ctr.apparmor_profile}
    if proc is not None and proc.lsm_label is not None:
        evidence["apparmor.proc"] = proc.lsm_label
        return proc.lsm_label.startswith("unconfined"), evidence
    return ctr.apparmor_profile in ("", "unconfined"), evidence


def selinux_judgement(facts: Snapshot, ctr: Container) -> Judgement:
    host = facts.host
    if host is None or host.selinux_mode is None:
        return Status.NOT_APPLICABLE, {"host.selinux": None}
    proc = facts.process(ctr)
    evidence = {"selinux.declared": ctr.selinux_label, "host.selinux": host.selinux_mode}
    label = proc.lsm_label if proc is not None and proc.lsm_label else ctr.selinux_label
    evidence["selinux.label"] = label
    return label in ("", "disable") or ":spc_t:" in label or ":unconfined_t:" in label, evidence
