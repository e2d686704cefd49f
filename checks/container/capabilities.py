"""Dangerous capabilities a container can hold: one row per capability, each its own check."""

from __future__ import annotations

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Snapshot

from ._effective import capabilities
from ._subjects import per_container

FAMILY = True

# (capability, severity, what it gives an attacker in the container, references)
ROWS = (
    ("SYS_ADMIN", Severity.CRITICAL, "mount filesystems, write cgroup v1 release_agent (CVE-2022-0492) and use "
     "most kernel interfaces a container is kept from", ("CVE-2022-0492", "MITRE ATT&CK T1611")),
    ("SYS_PTRACE", Severity.HIGH, "trace and inject into processes; with the host PID namespace, into host "
     "processes", ("MITRE ATT&CK T1055",)),
    ("SYS_MODULE", Severity.CRITICAL, "load kernel modules: code in the host kernel", ("MITRE ATT&CK T1547.006",)),
    ("DAC_READ_SEARCH", Severity.CRITICAL, "open host files by handle (open_by_handle_at, the 'shocker' escape)",
     ("Shocker (2014)",)),
    ("NET_ADMIN", Severity.HIGH, "reconfigure networking and reach netfilter/nf_tables kernel bugs "
     "(CVE-2021-22555, CVE-2024-1086)", ("CVE-2021-22555", "CVE-2024-1086")),
    ("SYS_RAWIO", Severity.HIGH, "raw I/O ports and memory access", ()),
    ("SYS_BOOT", Severity.MEDIUM, "reboot the host or load a new kernel", ()),
    ("BPF", Severity.HIGH, "load eBPF programs into the host kernel", ()),
    ("PERFMON", Severity.MEDIUM, "perf events: kernel information and a large kernel attack surface", ()),
    ("SYSLOG", Severity.MEDIUM, "read the kernel log and kernel pointers (KASLR bypass)", ()),
    ("MAC_ADMIN", Severity.HIGH, "change the mandatory access control policy (AppArmor/SELinux)", ()),
    ("MAC_OVERRIDE", Severity.HIGH, "override mandatory access control", ()),
    ("SYS_TIME", Severity.MEDIUM, "set the host clock", ()),
    ("NET_RAW", Severity.LOW, "raw sockets: ARP/DNS spoofing on the bridge, AF_PACKET kernel bugs (CVE-2020-14386); "
     "in Docker's default set", ("CVE-2020-14386",)),
)


def _register(capability: str, severity: Severity, gives: str, references: tuple[str, ...]) -> None:
    meta = CheckMeta(
        id=f"container.cap_{capability.lower()}",
        title=f"Container can hold CAP_{capability}",
        severity=severity,
        scope=Scope.CONTAINER,
        cis=("5.4",),
        references=references,
        rationale=f"CAP_{capability} lets root in the container {gives}.",
        remediation=f"Remove CAP_{capability} (docker run --cap-drop {capability}, or --cap-drop ALL and add back "
                    f"only what is needed; Kubernetes: capabilities.drop: [ALL]).",
        needs=(),
    )

    @register(meta)
    def evaluate(facts: Snapshot):
        def judge(ctr):
            view = capabilities(facts, ctr)
            return capability in view.names, view.evidence(capability)

        return per_container(facts, judge)


for _row in ROWS:
    _register(*_row)
