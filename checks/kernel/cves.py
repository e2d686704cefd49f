"""Escape-relevant kernel CVEs: one row per CVE of the data file, each its own check `kernel.cve_<year>_<n>`."""

from __future__ import annotations

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.cves import Cve, assess, for_components, judge
from hostaudit.model import HOST, Result, Snapshot, Status

from ._reach import reachability
from ._release import kernel_build

FAMILY = True


def evaluate_cve(cve: Cve, facts: Snapshot) -> list[Result]:
    """One CVE against the running kernel, judged by version where the build allows it; reachability is evidence."""
    build = kernel_build(facts.host)
    context = {"mainline_fix": cve.mainline_fix, "precondition": cve.precondition,
               **reachability(facts, cve.precondition_kind)}
    if build.base is None:
        assessment = "no plausible upstream version could be read from the kernel release"
        return [Result.unknown(HOST, {"assessment": assessment, **build.evidence(), **context}, assessment)]
    verdict = judge(cve, build.base)
    status, assessment = assess(verdict, build.upstream, "distro kernel")
    evidence = {"assessment": assessment, **build.evidence(), **verdict.evidence(), **context}
    detail = assessment if status is not Status.UNKNOWN else \
        f"{assessment}: a {build.vendor} kernel backports fixes, its version {build.release} cannot tell"
    return [Result(HOST, status, evidence, detail)]


def _register(cve: Cve) -> None:
    meta = CheckMeta(
        id=f"kernel.{cve.slug}",
        title=f"Kernel vulnerable to {cve.title_name}",
        severity=Severity(cve.severity),
        scope=Scope.HOST,
        references=(cve.id, *cve.aliases, *cve.references),
        rationale=f"{cve.summary}; reachable from a container with {cve.precondition}. Affected from "
                  f"{cve.introduced}, fixed in mainline {cve.mainline_fix}.",
        remediation="Update the kernel to a release with the fix (stable: "
                    f"{', '.join(cve.fixed.values()) or cve.mainline_fix}) and reboot; on distro kernels, install "
                    "the version the vendor's advisory names. Meanwhile remove the precondition from containers.",
        needs=("host",),
    )
    register(meta)(lambda facts: evaluate_cve(cve, facts))


for _cve in for_components("kernel"):
    _register(_cve)
