"""Escape-relevant kernel CVEs: one row per CVE of the data file, each its own check `kernel.cve_<year>_<n>`.

A kernel in a CVE's range fails, unless the exploit path is closed on this host (see _mitigation): then it passes,
and its evidence says "mitigated by" what. A failure names the containers that reach the bug.
"""

from __future__ import annotations

from typing import Any

from hostaudit.catalog import CheckMeta, Row, Scope, Severity, register_family
from hostaudit.cves import Cve, assess, for_components, judge
from hostaudit.evidence import REACHABLE_CONTAINERS
from hostaudit.model import HOST, Result, Snapshot, Status

from ..container._subjects import audited
from ._mitigation import (
    CLOSED_BY_DEFAULTS,
    IO_URING,
    FamilyReach,
    family_reach,
    io_uring_sysctl,
    modules_closed,
    syscall_reach,
)
from ._reach import reachability
from ._release import kernel_build

FAMILY = True
MITIGATED = "vulnerable version, exploit path closed on this host"


def _with_family(reach: dict[str, Any], family: FamilyReach) -> dict[str, Any]:
    """Reachability narrowed to the containers whose seccomp lets them open the exploit's socket family."""
    if family.allowed:
        why = f"{family.family} allowed by the seccomp filter of {', '.join(family.allowed)}"
        reachable = reach["reachable_from_containers"]
    elif family.unknown:
        why = f"whether the seccomp profile of {', '.join(family.unknown)} allows {family.family} is unknown"
        reachable = None if reach["reachable_from_containers"] is not False else False
    else:
        why = f"{family.family} denied by the seccomp filter of every container"
        reachable = False
    return {"reachable_from_containers": reachable, "reachable_why": f"{reach['reachable_why']}; {why}",
            REACHABLE_CONTAINERS.name: list(family.allowed)}


def _mitigations(cve: Cve, facts: Snapshot, reach: dict[str, Any], family: FamilyReach | None
                 ) -> tuple[list[str], list[str]]:
    """(what closes the exploit path on this host, what is open)."""
    closed, open_ = modules_closed(facts, cve)
    if cve.precondition_kind in CLOSED_BY_DEFAULTS and reach["reachable_from_containers"] is False:
        closed.append(reach["reachable_why"])
    if cve.syscall == IO_URING and io_uring_sysctl(facts)[0] == "all":
        closed.append("io_uring is disabled for every process (kernel.io_uring_disabled=2)")
    elif family is not None and not family.allowed and not family.unknown:
        if audited(facts):
            by_sysctl = cve.syscall == IO_URING and io_uring_sysctl(facts)[0] == "sys_admin"
            closed.append(f"seccomp denies {family.family} in every container" + (
                " (or kernel.io_uring_disabled=1 does: no container holds CAP_SYS_ADMIN)" if by_sysctl else ""))
        elif family.default_denies:
            runtimes = "the runtimes' default seccomp profiles deny" if cve.syscall else \
                "Docker's default seccomp profile denies"
            closed.append(f"{runtimes} {family.family}")
    return closed, open_


def evaluate_cve(cve: Cve, facts: Snapshot) -> list[Result]:
    """One CVE against the running kernel, judged by version where the build allows it, then by what closes the
    exploit path on this host."""
    build = kernel_build(facts.host)
    reach = reachability(facts, cve.precondition_kind)
    family = family_reach(facts, cve.socket_family) if cve.socket_family is not None else None
    if cve.syscall is not None:
        family = syscall_reach(facts, cve.syscall)
    if family is not None and reach["reachable_from_containers"] is not None:
        reach = _with_family(reach, family)
    elif cve.precondition_kind == "none" and reach["reachable_from_containers"]:
        reach[REACHABLE_CONTAINERS.name] = sorted(c.name for c in audited(facts))
    context = {"mainline_fix": cve.mainline_fix, "precondition": cve.precondition, **reach}
    if cve.cvss:
        context["advisory_cvss"] = cve.cvss
    if build.base is None:
        assessment = "no plausible upstream version could be read from the kernel release"
        return [Result.unknown(HOST, {"assessment": assessment, **build.evidence(), **context}, assessment)]
    verdict = judge(cve, build.base)
    status, assessment = assess(verdict, build.upstream, "distro kernel")
    evidence = {"assessment": assessment, **build.evidence(), **verdict.evidence(), **context}
    if status is Status.PASS:
        return [Result(HOST, status, evidence, assessment)]
    closed, open_ = _mitigations(cve, facts, reach, family)
    if open_:
        evidence["exploit_path_open"] = open_
    if closed:
        evidence |= {"assessment": MITIGATED, "version_assessment": assessment, "mitigated_by": closed}
        return [Result(HOST, Status.PASS, evidence, f"vulnerable kernel ({build.release}), mitigated on this host "
                                                    f"by: {'; '.join(closed)}")]
    if status is Status.UNKNOWN and verdict.undecided:
        return [Result(HOST, status, evidence, f"kernel {build.release}: {assessment}")]
    if status is Status.UNKNOWN:
        return [Result(HOST, status, evidence, f"{assessment}: a {build.vendor} kernel backports fixes, its version "
                                               f"{build.release} cannot tell")]
    return [Result(HOST, status, evidence, f"vulnerable kernel ({build.release}); {_reached(reach)}")]


def _reached(reach: dict[str, Any]) -> str:
    names = reach.get(REACHABLE_CONTAINERS.name)
    if reach["reachable_from_containers"] and names:
        return f"reachable from containers {', '.join(names)}"
    if reach["reachable_from_containers"]:
        return f"reachable from containers: {reach['reachable_why']}"
    if reach["reachable_from_containers"] is False:
        return f"no container reaches it now ({reach['reachable_why']})"
    return f"whether containers reach it is unknown ({reach['reachable_why']})"


def describe(row: Row[Cve]) -> CheckMeta:
    cve = row.spec
    return CheckMeta(
        id=row.id,
        title=f"Kernel vulnerable to {cve.title_name}",
        severity=row.severity,
        scope=Scope.HOST,
        references=(cve.id, *cve.aliases, *cve.references),
        rationale=f"{cve.summary}; reachable from a container with {cve.precondition}. Affected from "
                  f"{cve.introduced}, fixed in {cve.fixed_releases}.",
        remediation=f"Update the kernel to a release with the fix ({cve.fixed_releases}) and reboot; on distro "
                    "kernels, install the version the vendor's advisory names. Meanwhile close the exploit path: "
                    + (f"add {_modules(cve)} to a file in /etc/modprobe.d and unload the module, " if cve.modules
                       else "")
                    + ("set the sysctl kernel.io_uring_disabled=2 (kernel 6.6+) or deny io_uring_setup in the "
                       "containers' seccomp profiles (the runtimes' defaults do from Docker 25.0 and containerd 2.0), "
                       if cve.syscall == IO_URING else "")
                    + "remove the precondition from containers.",
        needs=("host",),
    )


def _modules(cve: Cve) -> str:
    """The modprobe.d lines that close the path: every module of one requirement ("install esp4 /bin/false" ...)."""
    return " and ".join(f"'install {name} /bin/false'" for name in cve.modules[0])


ROWS = tuple(Row(f"kernel.{cve.slug}", Severity(cve.severity), cve) for cve in for_components("kernel"))
register_family(ROWS, describe, evaluate_cve)
