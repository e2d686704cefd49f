"""Dangerous capabilities a container can hold: one row per capability, each its own check."""

from __future__ import annotations

from typing import NamedTuple

from hostaudit.catalog import CheckMeta, Row, Scope, Severity, register_family
from hostaudit.model import Snapshot

from ._effective import capabilities
from ._subjects import per_container

FAMILY = True


class Capability(NamedTuple):
    name: str  # without CAP_
    gives: str  # what it gives root in the container
    references: tuple[str, ...] = ()


ROWS = (
    Row("container.cap_sys_admin", Severity.CRITICAL, Capability(
        "SYS_ADMIN", "mount filesystems, write cgroup v1 release_agent (CVE-2022-0492) and use most kernel interfaces "
        "a container is kept from", ("CVE-2022-0492", "MITRE ATT&CK T1611"))),
    Row("container.cap_sys_ptrace", Severity.HIGH, Capability(
        "SYS_PTRACE", "trace and inject into processes; with the host PID namespace, into host processes",
        ("MITRE ATT&CK T1055",))),
    Row("container.cap_sys_module", Severity.CRITICAL, Capability(
        "SYS_MODULE", "load kernel modules: code in the host kernel", ("MITRE ATT&CK T1547.006",))),
    Row("container.cap_dac_read_search", Severity.CRITICAL, Capability(
        "DAC_READ_SEARCH", "open host files by handle (open_by_handle_at, the 'shocker' escape)", ("Shocker (2014)",))),
    Row("container.cap_net_admin", Severity.HIGH, Capability(
        "NET_ADMIN", "reconfigure networking and reach netfilter/nf_tables kernel bugs (CVE-2021-22555, "
        "CVE-2024-1086)", ("CVE-2021-22555", "CVE-2024-1086"))),
    Row("container.cap_sys_rawio", Severity.HIGH, Capability("SYS_RAWIO", "raw I/O ports and memory access")),
    Row("container.cap_sys_boot", Severity.MEDIUM, Capability("SYS_BOOT", "reboot the host or load a new kernel")),
    Row("container.cap_bpf", Severity.HIGH, Capability("BPF", "load eBPF programs into the host kernel")),
    Row("container.cap_perfmon", Severity.MEDIUM, Capability(
        "PERFMON", "perf events: kernel information and a large kernel attack surface")),
    Row("container.cap_syslog", Severity.MEDIUM, Capability(
        "SYSLOG", "read the kernel log and kernel pointers (KASLR bypass)")),
    Row("container.cap_mac_admin", Severity.HIGH, Capability(
        "MAC_ADMIN", "change the mandatory access control policy (AppArmor/SELinux)")),
    Row("container.cap_mac_override", Severity.HIGH, Capability("MAC_OVERRIDE", "override mandatory access control")),
    Row("container.cap_sys_time", Severity.MEDIUM, Capability("SYS_TIME", "set the host clock")),
    Row("container.cap_net_raw", Severity.LOW, Capability(
        "NET_RAW", "raw sockets: ARP/DNS spoofing on the bridge, AF_PACKET kernel bugs (CVE-2020-14386); in Docker's "
        "default set", ("CVE-2020-14386",))),
)


def describe(row: Row[Capability]) -> CheckMeta:
    capability = row.spec.name
    return CheckMeta(
        id=row.id,
        title=f"Container can hold CAP_{capability}",
        severity=row.severity,
        scope=Scope.CONTAINER,
        cis=("5.4",),
        references=row.spec.references,
        rationale=f"CAP_{capability} lets root in the container {row.spec.gives}.",
        remediation=f"Remove CAP_{capability} (docker run --cap-drop {capability}, or --cap-drop ALL and add back "
                    f"only what is needed; Kubernetes: capabilities.drop: [ALL]).",
        needs=(),
    )


def evaluate(capability: Capability, facts: Snapshot):
    def judge(ctr):
        view = capabilities(facts, ctr)
        return capability.name in view.names, view.evidence(capability.name)

    return per_container(facts, judge)


register_family(ROWS, describe, evaluate)
