"""The Docker Engine is older than the releases that fix the Engine and BuildKit CVEs we know."""

from __future__ import annotations

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.cves import for_components
from hostaudit.model import DAEMON, Result, Snapshot, Status

from ._builds import builds, judge_build, sources_failed, worst

META = CheckMeta(
    id="runtime.docker_outdated",
    title="Docker Engine is older than releases fixing known CVEs",
    severity=Severity.MEDIUM,
    scope=Scope.DAEMON,
    cis=("1.2.2",),
    references=tuple(c.id for c in for_components("docker", "buildkit")),
    rationale="An engine without the security releases keeps known bugs (AuthZ bypass, BuildKit host file access, "
              "docker cp) whatever their preconditions on this host are today. Judged from the CVE data, never "
              "from the calendar.",
    remediation="Upgrade the Docker Engine to a maintained release at or above every fixed version listed in the "
                "evidence; for distro packages, check the distro's advisories.",
    needs=(),  # the API's version, else the dockerd binary's: a failed collector is reported below
)


@register(META)
def evaluate(facts: Snapshot) -> list[Result]:
    found = builds(facts, "docker")
    if not found:
        failed = sources_failed(facts, "docker")
        if failed or facts.docker_daemon is not None:
            return [Result.unknown(DAEMON, {"versions": {}, "failed_collectors": failed},
                                   "no Docker Engine version could be read")]
        return [Result.not_applicable(DAEMON, {"versions": {}}, "no Docker Engine on this host")]
    # the Engine's own BuildKit, known only by the Engine version it shipped in (standalone buildkitd is not the Engine)
    judged = {cve.id: [judge_build(cve.on_engine() if cve.engine_fallback else cve, b) for b in found]
              for cve in for_components("docker", "buildkit")}
    decided = {cve_id: worst(results) for cve_id, results in judged.items()}
    in_range = {cve_id: j.verdict.fixed for cve_id, j in decided.items() if j.status is Status.FAIL}
    unsure = {cve_id: j.verdict.fixed for cve_id, j in decided.items() if j.status is Status.UNKNOWN and j.verdict}
    build = worst(list(decided.values())).build
    evidence = {"vulnerable_to": in_range, "distro_build_verify": unsure, **build.evidence(),
                "versions": {b.source: b.version for b in found}}
    if in_range:
        return [Result.failed(DAEMON, evidence, f"older than the fixes of {', '.join(sorted(in_range))}")]
    if unsure or any(j.verdict is None for j in decided.values()):
        return [Result.unknown(DAEMON, evidence, "distro build below upstream fixes: verify with the vendor "
                                                 "advisory")]
    return [Result.passed(DAEMON, evidence, "at or above every known fixed release")]
