"""Escape-relevant runc, crun, containerd, Docker Engine, BuildKit, NVIDIA toolkit and CRI-O CVEs: one row per CVE of
the data file, each its own check `runtime.cve_<year>_<n>`."""

from __future__ import annotations

from hostaudit.catalog import CheckMeta, Row, Scope, Severity, register_family
from hostaudit.cves import Cve, for_components
from hostaudit.model import DAEMON, HOST, Result, Snapshot, Status

from ..kernel._reach import reachability
from ._builds import Judged, builds, judge_build, sources_failed, worst
from ._in_use import runtimes_in_use

FAMILY = True
COMPONENT_NAMES = {"runc": "runc", "crun": "crun", "containerd": "containerd", "docker": "Docker Engine",
                   "buildkit": "BuildKit (buildkitd or the Docker Engine's)",
                   "nvidia-toolkit": "NVIDIA Container Toolkit", "cri-o": "CRI-O"}
ON_DAEMON = ("docker", "buildkit")
OCI_RUNTIMES = ("runc", "crun")  # judged on every build installed; the engines that run them are evidence
BUILDKIT_OWN = "BuildKit's own version (buildkitd --version)"


def judged_builds(cve: Cve, facts: Snapshot) -> list[Judged]:
    """Every build of the CVE's component judged against its ranges. BuildKit runs as buildkitd (judged by its
    own version) and inside the Docker Engine, whose API does not report that BuildKit's version: the Engine's
    is judged by the Engine version the BuildKit fix shipped in (the fallback, named in the evidence)."""
    found = [judge_build(cve, b) for b in builds(facts, cve.component)]
    if cve.engine_fallback is not None:
        found += [judge_build(cve.on_engine(), b) for b in builds(facts, "docker")]
    return found


def _basis(cve: Cve, decided: Judged) -> dict[str, str]:
    if cve.engine_fallback is None:
        return {}
    if decided.build.source.endswith("buildkitd --version"):
        return {"buildkit_version_basis": BUILDKIT_OWN}
    return {"buildkit_version_basis": f"Docker Engine version (fallback): {cve.engine_fallback[2]}"}


def evaluate_cve(cve: Cve, facts: Snapshot) -> list[Result]:
    """The CVE against every version of its component on this host; the worst decides."""
    subject = DAEMON if cve.component in ON_DAEMON else HOST
    judged = judged_builds(cve, facts)
    context = {"versions": {j.build.source: j.build.version for j in judged}, "mainline_fix": cve.mainline_fix,
               "precondition": cve.precondition, **reachability(facts, cve.precondition_kind)}
    if cve.cvss:
        context["advisory_cvss"] = cve.cvss
    configured = []
    if cve.component in OCI_RUNTIMES:
        in_use = runtimes_in_use(facts)
        context["runtime_in_use"] = [u.evidence() for u in in_use]
        configured = [u.engine for u in in_use if u.runs(cve.component) and not u.built_in]
    if not judged:
        name = COMPONENT_NAMES[cve.component]
        failed = sources_failed(facts, cve.component) + (sources_failed(facts, "docker") if cve.engine_fallback
                                                          else [])
        if failed:
            return [Result.unknown(subject, {**context, "failed_collectors": failed},
                                   f"no {name} version could be read")]
        if configured:
            return [Result.unknown(subject, context, f"{', '.join(configured)} run {name}, but no {name} binary "
                                                     "whose version could be read was found at a trusted path")]
        return [Result.not_applicable(subject, context, f"no {name} on this host")]
    decided = worst(judged)
    evidence = {**decided.evidence(), **_basis(cve, decided), **context}
    if cve.precondition_kind == "authz_plugin" and evidence["reachable_from_containers"] is False:
        return [Result.not_applicable(subject, evidence, "only exploitable through an authorization plugin, and "
                                                         "none is in use")]
    detail = decided.assessment
    if decided.status is Status.UNKNOWN and decided.verdict is not None:
        detail += f" ({decided.build.version} may carry a backported fix)"
    return [Result(subject, decided.status, evidence, detail)]


def describe(row: Row[Cve]) -> CheckMeta:
    cve = row.spec
    component = COMPONENT_NAMES[cve.component]
    fixed = cve.fixed_releases
    return CheckMeta(
        id=row.id,
        title=f"{component} vulnerable to {cve.title_name}",
        severity=row.severity,
        scope=Scope.DAEMON if cve.component in ON_DAEMON else Scope.HOST,
        references=(cve.id, *cve.aliases, *cve.references),
        rationale=f"{cve.summary}. Needs {cve.precondition}." + (f" {cve.note}." if cve.note else ""),
        remediation=f"Upgrade {component} to a fixed release ({fixed}); for distro packages, "
                    "install the version the distro's advisory names.",
        needs=(),  # versions come from several collectors: a failed one is reported by evaluate_cve
    )


ROWS = tuple(Row(f"runtime.{cve.slug}", Severity(cve.severity), cve) for cve in for_components(*COMPONENT_NAMES))
register_family(ROWS, describe, evaluate_cve)
