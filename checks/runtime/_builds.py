"""The runtime builds on this host (runc, crun, containerd, Docker Engine, NVIDIA toolkit, CRI-O) and how to judge them.

Versions come from Docker's /version `Components`, containerd's own `--version`, the CRI Version call (CRI-O names
itself `cri-o` there), and the host binaries' `--version` (HostFacts.runtime_binaries); where none of them reports
one (crun is never run; through a host root nothing is), from the installed distro package. A distro build (Debian
"1.1.5+ds1", or a version the distro's runc / containerd / docker.io package carries) backports fixes, so its
upstream base can only prove a fix, never its absence.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from hostaudit.cves import Cve, Verdict, Version, assess, judge, parse_version, plausible
from hostaudit.model import CollectorState, Snapshot, Status

_DISTRO_SUFFIX = re.compile(r"[+~](?:ds|dfsg)\d*|ubuntu|deb\d+u|\.el\d|\.fc\d|amzn|suse", re.IGNORECASE)
# distro packages (not Docker's own containerd.io / docker-ce, which ship upstream builds)
DISTRO_PACKAGES = {"runc": ("runc",), "crun": ("crun",), "containerd": ("containerd",),
                   "docker": ("docker.io", "moby-engine", "docker"), "cri-o": ("cri-o",)}
BINARIES = {"runc": ("runc",), "crun": ("crun",), "containerd": ("containerd",), "docker": ("dockerd",),
            "nvidia-toolkit": ("nvidia-ctk", "nvidia-container-runtime-hook", "nvidia-container-toolkit",
                               "nvidia-container-runtime"), "cri-o": ("crio",), "buildkit": ("buildkitd",)}
API_COMPONENTS = {"runc": "runc", "containerd": "containerd", "docker": "Engine"}
# where each component's version comes from: a failed collector here makes "no version found" unknown
COLLECTORS = {"runc": ("docker_daemon", "host"), "crun": ("host",),
              "containerd": ("docker_daemon", "containerd", "host"), "docker": ("docker_daemon", "host"),
              "nvidia-toolkit": ("host",), "cri-o": ("cri", "host"), "buildkit": ("host",)}
CRI_RUNTIME_NAMES = {"cri-o": "cri-o"}  # RuntimeName in the CRI Version response
RANK = {Status.PASS: 0, Status.UNKNOWN: 1, Status.FAIL: 2}


@dataclass(frozen=True)
class Build:
    """One observed version of a component."""

    source: str
    version: str
    base: Version | None
    upstream: bool
    package: str | None = None

    def evidence(self) -> dict[str, Any]:
        found: dict[str, Any] = {"version": self.version, "version_source": self.source,
                                 "upstream_base": str(self.base) if self.base else None,
                                 "build": "upstream" if self.upstream else "distro"}
        if self.package:
            found["package"] = self.package
        return found


def _package_version_base(version: str) -> Version | None:
    """The upstream part of a package version: "1:1.1.5+ds1-1+deb12u1" -> 1.1.5, "1.1.12-1.el9" -> 1.1.12."""
    upstream = version.rsplit("-", 1)[0] if "-" in version else version
    return parse_version(upstream)


def build_of(facts: Snapshot, component: str, source: str, version: str) -> Build:
    """A reported version, marked distro when its suffix or an installed distro package says so; a version no
    release of the component can have (9999.0.0) has no base and stays unknown."""
    base = plausible(parse_version(version), component)
    packages = facts.host.runtime_packages if facts.host else {}
    for name in DISTRO_PACKAGES.get(component, ()):
        if name in packages and base is not None and _package_version_base(packages[name]) == base:
            return Build(source, version, base, False, f"{name} {packages[name]}")
    return Build(source, version, base, not _DISTRO_SUFFIX.search(version))


def builds(facts: Snapshot, component: str) -> list[Build]:
    """Every version of `component` seen on this host (for buildkit: standalone buildkitd binaries; the one inside
    the Docker Engine is known only by the Engine's version, see `Cve.on_engine`)."""
    found: dict[tuple[str, str], None] = {}
    daemon = facts.docker_daemon
    for item in ((daemon.version or {}).get("Components") or []) if daemon else []:
        if isinstance(item, dict) and item.get("Name") == API_COMPONENTS.get(component) and item.get("Version"):
            found[(f"docker /version Components {item['Name']}", str(item["Version"]))] = None
    for instance in facts.containerd.instances if component == "containerd" and facts.containerd else ():
        if instance.version:
            found[("containerd --version (running daemon)", instance.version)] = None
    cri = facts.cri
    if cri is not None and cri.runtime_name == CRI_RUNTIME_NAMES.get(component) and cri.runtime_version:
        found[(f"CRI Version at {cri.endpoint}", cri.runtime_version)] = None
    for path, version in (facts.host.runtime_binaries if facts.host else {}).items():
        if os.path.basename(path) in BINARIES.get(component, ()):
            found[(f"{path} --version", version)] = None
    if found:
        return [build_of(facts, component, source, version) for source, version in found]
    return _unversioned_builds(facts, component)


def _unversioned_builds(facts: Snapshot, component: str) -> list[Build]:
    """Where no binary or API reported a version (crun is never run; a host root runs nothing): each installed distro
    package of the component as its build, else each binary known present but not run, of no known version."""
    packages = facts.host.runtime_packages if facts.host else {}
    names = DISTRO_PACKAGES.get(component, ())
    found = [Build(f"{name} package", version, plausible(_package_version_base(version), component), False,
                   f"{name} {version}") for name, version in packages.items() if name in names]
    not_run = facts.host.runtime_binaries_not_run if facts.host else ()
    return found or [Build(f"{path} (present, not run: starting it writes to the host)", "not read", None, False)
                     for path in not_run if os.path.basename(path) in BINARIES.get(component, ())]


def sources_failed(facts: Snapshot, component: str) -> list[str]:
    """Collectors a version of `component` would have come from that failed."""
    names = COLLECTORS[component]
    return [n for n in names if n in facts.collectors and facts.collectors[n].state is CollectorState.ERROR]


@dataclass(frozen=True)
class Judged:
    build: Build
    status: Status
    assessment: str
    verdict: Verdict | None

    def evidence(self) -> dict[str, Any]:
        return {"assessment": self.assessment, **self.build.evidence(),
                **(self.verdict.evidence() if self.verdict else {})}


def judge_build(cve: Cve, build: Build) -> Judged:
    if build.base is None:
        return Judged(build, Status.UNKNOWN, "no plausible upstream version could be read from the version string",
                      None)
    verdict = judge(cve, build.base)
    status, assessment = assess(verdict, build.upstream)
    return Judged(build, status, assessment, verdict)


def worst(judged: list[Judged]) -> Judged:
    """The build that decides: vulnerable before unknown before fixed."""
    return max(judged, key=lambda j: RANK[j.status])
