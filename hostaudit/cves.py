"""Escape-relevant kernel and runtime CVEs (package data `data/cves.json`), and the version ranges they cover.

A version v is affected when `introduced <= v` and, in v's major.minor branch, `v < fixed[branch]`. A branch not
listed is fixed when `v >= mainline_fix` (the fix predates the branch) and affected otherwise (an end-of-life
branch that never got the fix). Pure: the data file is read on first use, never at import.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from hostaudit.model import Status

COMPONENTS = ("kernel", "runc", "containerd", "docker", "buildkit", "nvidia-toolkit")
PRECONDITIONS = (
    "none", "cap_net_admin_userns", "cap_sys_admin_userns", "cgroup_v1", "cap_net_raw", "untrusted_image",
    "container_create", "host_network_root", "cri", "docker_cp", "host_user", "authz_plugin", "untrusted_build",
    "gpu_container",
)
STAGES = {"alpha": 0, "beta": 1, "rc": 2}
FINAL = 3
_VERSION = re.compile(r"^v?(\d+(?:\.\d+){0,3})(?:[-~.]?(alpha|beta|rc)[.-]?(\d+))?", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Version:
    """A comparable upstream version: up to four release numbers, then alpha < beta < rc < final."""

    release: tuple[int, int, int, int]
    stage: int = FINAL
    stage_number: int = 0
    text: str = field(default="", compare=False)  # as written in the version string it was read from

    @property
    def branch(self) -> str:
        return f"{self.release[0]}.{self.release[1]}"

    def __str__(self) -> str:
        if self.text:
            return self.text
        numbers = list(self.release)
        while len(numbers) > 3 and numbers[-1] == 0:
            numbers.pop()
        text = ".".join(map(str, numbers))
        if self.stage != FINAL:
            text += f"-{next(k for k, v in STAGES.items() if v == self.stage)}{self.stage_number}"
        return text


def parse_version(text: str | None) -> Version | None:
    """The upstream version at the start of `text` ("1.0.0-rc93", "v1.7.13", "1.1.5+ds1", "5.17-rc6"), or None.

    A Debian epoch ("1:") is dropped; anything after the version proper (package revision, build suffix) is ignored.
    """
    if not text:
        return None
    match = _VERSION.match(re.sub(r"^\d+:", "", text.strip()))
    if match is None:
        return None
    numbers = [int(n) for n in match.group(1).split(".")]
    release = (*numbers, 0, 0, 0, 0)[:4]
    written = match.group(0).removeprefix("v").removeprefix("V")
    if match.group(2) is None:
        return Version(release, text=written)
    return Version(release, STAGES[match.group(2).lower()], int(match.group(3)), written)


@dataclass(frozen=True)
class Cve:
    id: str
    name: str
    component: str
    severity: str
    introduced: str
    fixed: dict[str, str]
    mainline_fix: str
    precondition_kind: str
    precondition: str
    summary: str
    references: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    note: str = ""

    @property
    def slug(self) -> str:
        """The check-id part: CVE-2022-0847 -> cve_2022_0847."""
        return self.id.lower().replace("-", "_")

    @property
    def title_name(self) -> str:
        return " / ".join((self.id, *self.aliases)) + f" ({self.name})"


@dataclass(frozen=True)
class Verdict:
    """Whether a version is in a CVE's range, and the branch and fixed release that decided it."""

    affected: bool
    branch: str
    fixed: str | None
    reason: str
    before_introduced: bool = False

    def evidence(self) -> dict[str, Any]:
        return {"branch": self.branch, "fixed": self.fixed, "range_decision": self.reason}


VULNERABLE = "vulnerable (upstream version in range)"
FIXED = "fixed"
NOT_INTRODUCED = "not affected (older than the release that introduced the bug)"
VERIFY_WITH_VENDOR = "{kind}: verify with the vendor advisory"


def assess(verdict: Verdict, upstream_build: bool, distro_kind: str = "distro build") -> tuple[Status, str]:
    """The status and assessment of a version verdict.

    An upstream build is judged by its version. A distro build keeps an old base version and backports fixes, so
    only "its upstream base already has the fix" is a verdict; anything else is for the vendor's advisory to say.
    """
    if upstream_build:
        if verdict.affected:
            return Status.FAIL, VULNERABLE
        return Status.PASS, NOT_INTRODUCED if verdict.before_introduced else FIXED
    if not verdict.affected and not verdict.before_introduced:
        return Status.PASS, FIXED
    return Status.UNKNOWN, VERIFY_WITH_VENDOR.format(kind=distro_kind)


def judge(cve: Cve, version: Version) -> Verdict:
    """Where `version` falls in `cve`'s ranges: introduced <= v < fixed, per stable branch."""
    branch = version.branch
    introduced = parse_version(cve.introduced)
    if introduced is not None and version < introduced:
        return Verdict(False, branch, cve.fixed.get(branch, cve.mainline_fix),
                       f"older than {cve.introduced}, where the bug was introduced", before_introduced=True)
    if branch in cve.fixed:
        fixed = cve.fixed[branch]
        if version < parse_version(fixed):
            return Verdict(True, branch, fixed, f"branch {branch} is fixed in {fixed}")
        return Verdict(False, branch, fixed, f"branch {branch} is fixed in {fixed}")
    if version >= parse_version(cve.mainline_fix):
        return Verdict(False, branch, cve.mainline_fix, f"at or after the mainline fix {cve.mainline_fix}")
    later = sorted((parse_version(v), v) for v in (*cve.fixed.values(), cve.mainline_fix))
    upgrade = next(text for parsed, text in later if parsed > version)
    return Verdict(True, branch, upgrade, f"branch {branch} got no fix (end of life) and is older than the "
                                          f"mainline fix {cve.mainline_fix}; the nearest fixed release is {upgrade}")


def _branch(key: str) -> str:
    """A branch key as `Version.branch` spells it: "19.03" -> "19.3"."""
    return ".".join(str(int(part)) for part in key.split("."))


def _cve(row: dict[str, Any]) -> Cve:
    return Cve(
        id=row["id"], name=row["name"], component=row["component"], severity=row["severity"],
        introduced=row["introduced"], fixed={_branch(k): v for k, v in row["fixed"].items()},
        mainline_fix=row["mainline_fix"],
        precondition_kind=row["precondition"]["kind"], precondition=row["precondition"]["text"],
        summary=row["summary"], references=tuple(row["references"]), aliases=tuple(row.get("aliases", ())),
        note=row.get("note", ""),
    )


@cache
def raw_data() -> dict[str, Any]:
    """The data file as JSON."""
    return json.loads(resources.files("hostaudit").joinpath("data/cves.json").read_text(encoding="utf-8"))


@cache
def load() -> tuple[Cve, ...]:
    return tuple(_cve(row) for row in raw_data()["cves"])


def for_components(*components: str) -> tuple[Cve, ...]:
    return tuple(c for c in load() if c.component in components)
