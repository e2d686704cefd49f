"""The CVE data file validates, and the range logic holds at every boundary it encodes."""

from __future__ import annotations

import re

import pytest
from hostaudit.checks.container._seccomp import DOCKER_DEFAULT_DENIED_FAMILIES
from hostaudit.checks.kernel._reach import JUDGEMENTS
from hypothesis import given
from hypothesis import strategies as st

from hostaudit import cves
from hostaudit.cves import FIXED, NOT_INTRODUCED, VULNERABLE, Version, assess, judge, parse_version
from hostaudit.model import Status

CONTAINERD_DEFAULT_DENIED_FAMILIES: frozenset[int] = frozenset()  # containerd 1.6 RuntimeDefault
# io_uring: Docker denies it from 25.0 and containerd from 2.0, but containerd 1.6's RuntimeDefault (recorded in the
# lab, see test_io_uring_bug_on_an_affected_kernel_...) and 1.7's still allow it: a default pod reaches it
CONTAINERD_DEFAULT_DENIED_SYSCALLS: frozenset[str] = frozenset()
ALL = cves.load()
ID = re.compile(r"^CVE-\d{4}-\d{4,}$")


def _below(version: Version) -> Version:
    """The release just before `version` in its branch (1.1.12 -> 1.1.11, 1.4.0-rc.3 -> 1.4.0-rc2)."""
    if version.stage != cves.FINAL:
        return Version(version.release, version.stage, version.stage_number - 1)
    major, minor, patch, extra = version.release
    if extra:
        return Version((major, minor, patch, extra - 1))
    if patch:
        return Version((major, minor, patch - 1, 0))
    return Version((major, minor, 0, 0), cves.STAGES["rc"], 99)


def test_data_file_is_well_formed():
    data = cves.raw_data()
    assert data["schema"] == 1 and data["sources"]
    ids = [c.id for c in ALL]
    assert len(ids) == len(set(ids))
    assert {c.component for c in ALL} == set(cves.COMPONENTS)


@pytest.mark.parametrize("cve", ALL, ids=lambda c: c.id)
def test_every_cve_is_complete_and_sourced(cve):
    assert ID.match(cve.id) and all(ID.match(a) for a in cve.aliases)
    assert cve.name and cve.summary and cve.precondition
    assert cve.component in cves.COMPONENTS
    assert cve.severity in ("critical", "high", "medium", "low")
    assert cve.precondition_kind in cves.PRECONDITIONS and cve.precondition_kind in JUDGEMENTS
    assert cve.references and any(r.startswith("https://") for r in cve.references)


def _above(version: Version) -> Version:
    """The release just after `version` in its branch (1.17.3 -> 1.17.4, 1.4.0-rc.3 -> 1.4.0-rc4)."""
    if version.stage != cves.FINAL:
        return Version(version.release, version.stage, version.stage_number + 1)
    major, minor, patch, extra = version.release
    return Version((major, minor, patch + 1, extra))


@pytest.mark.parametrize("cve", ALL, ids=lambda c: c.id)
def test_ranges_are_well_formed(cve):
    introduced = parse_version(cve.introduced)
    mainline = parse_version(cve.mainline_fix)
    assert introduced is not None, cve.introduced
    assert mainline is not None or cve.last_affected or (cve.undecided and cve.undecided.above_ranges), \
        "without a mainline fix the record names the last affected, or what is above its ranges is undecided"
    for branch, bound in {**cve.fixed, **cve.last_affected}.items():
        parsed = parse_version(bound)
        assert parsed is not None and parsed.branch == branch, (branch, bound)
        assert introduced < parsed or (branch in cve.last_affected and introduced == parsed)  # "= 2.1.0"
        assert mainline is None or parsed <= mainline or parsed.branch == mainline.branch, f"{bound} > mainline"
    assert set(cve.fixed).isdisjoint(cve.last_affected)


@pytest.mark.parametrize("cve", ALL, ids=lambda c: c.id)
def test_each_listed_branch_is_fixed_exactly_at_its_fixed_release(cve):
    for branch, fixed in {**cve.fixed, "mainline": cve.mainline_fix}.items():
        if fixed is None:
            continue
        version = parse_version(fixed)
        assert not judge(cve, version).affected, f"{cve.id} {branch}: {fixed} is the fix"
        below = _below(version)
        if below >= parse_version(cve.introduced):
            verdict = judge(cve, below)
            assert verdict.affected, f"{cve.id}: {below} is before the fix {fixed}"
            assert verdict.fixed is not None


@pytest.mark.parametrize("cve", [c for c in ALL if c.last_affected], ids=lambda c: c.id)
def test_each_last_affected_release_is_affected_and_the_next_is_not(cve):
    for branch, last in cve.last_affected.items():
        assert judge(cve, parse_version(last)).affected, f"{cve.id} {branch}: {last} is the last affected"
        assert not judge(cve, _above(parse_version(last))).affected, f"{cve.id}: {last} is the last affected"


@pytest.mark.parametrize(("text", "expected"), [
    ("1.0.0-rc93", Version((1, 0, 0, 0), 2, 93)),
    ("1.4.0-rc.3", Version((1, 4, 0, 0), 2, 3)),
    ("v1.7.13", Version((1, 7, 13, 0))),
    ("1.1.5+ds1", Version((1, 1, 5, 0))),
    ("1.0.0~rc93+ds1-5+deb11u3", Version((1, 0, 0, 0), 2, 93)),
    ("1:1.6.20~ds1-1+deb12u3", Version((1, 6, 20, 0))),
    ("5.17-rc6", Version((5, 17, 0, 0), 2, 6)),
    ("6.18.44-fc-v657", Version((6, 18, 44, 0))),
    ("5.15.90.1-microsoft-standard-WSL2", Version((5, 15, 90, 1))),
    ("1.7.0-beta.0", Version((1, 7, 0, 0), 1, 0)),
    ("6.1.0-rcar-bsp", Version((6, 1, 0, 0))),  # "rc" not followed by a number is no release candidate
])
def test_parse_version(text, expected):
    assert parse_version(text) == expected


@pytest.mark.parametrize("text", ["", None, "dev", "unknown", "git-abc123"])
def test_unparseable_versions_are_none(text):
    assert parse_version(text) is None


def test_prerelease_order():
    ordered = ["1.0.0-rc6", "1.0.0-rc7", "1.0.0-rc93", "1.0.0", "1.4.0-beta.1", "1.4.0-rc.2", "1.4.0-rc.3", "1.4.0"]
    parsed = [parse_version(v) for v in ordered]
    assert parsed == sorted(parsed)


def test_assess_never_fails_a_distro_build():
    (cve,) = [c for c in ALL if c.id == "CVE-2024-21626"]
    vulnerable = judge(cve, parse_version("1.1.5"))
    assert assess(vulnerable, upstream_build=True) == (Status.FAIL, VULNERABLE)
    assert assess(vulnerable, upstream_build=False)[0] is Status.UNKNOWN
    before = judge(cve, parse_version("1.0.0-rc92"))
    assert assess(before, upstream_build=True) == (Status.PASS, NOT_INTRODUCED)
    assert assess(before, upstream_build=False)[0] is Status.UNKNOWN  # a distro may have backported the bug
    assert assess(judge(cve, parse_version("1.1.12")), upstream_build=False) == (Status.PASS, FIXED)


@given(st.text(max_size=40))
def test_parse_version_never_raises(text):
    parsed = parse_version(text)
    assert parsed is None or all(n >= 0 for n in parsed.release)


@given(st.tuples(*[st.integers(0, 300)] * 3), st.tuples(*[st.integers(0, 300)] * 3))
def test_parsed_order_is_numeric_order(a, b):
    left, right = (parse_version(".".join(map(str, v)) + "+ds1") for v in (a, b))
    assert (left < right) == (a < b) and (left == right) == (a == b)


@pytest.mark.parametrize(("earlier", "later"), [
    ("1.0.0~rc93+ds1-5", "1.0.0"), ("1.0.0-rc93", "1.0.0~rc94"), ("19.03.0-beta3", "19.03.0-rc1"),
    ("19.03.0-rc3", "19.03.0"), ("6.8-rc7", "6.8"), ("1.7.0-beta.0", "1.7.0"),
])
def test_prereleases_come_before_their_release(earlier, later):
    assert parse_version(earlier) < parse_version(later)


@pytest.mark.parametrize(("cve_id", "version", "affected"), [
    ("CVE-2019-14271", "19.03.0-rc3", True),  # the bug was in 19.03 before its release
    ("CVE-2019-14271", "19.03.0", True),
    ("CVE-2019-14271", "18.09.9", False),
    ("CVE-2024-41110", "18.09.0", True),  # the 2018 bypass, fixed in 18.09.1 (the record's description)
    ("CVE-2024-41110", "17.06.2-ce", True),
    ("CVE-2024-41110", "18.09.1", False),
    ("CVE-2024-41110", "26.1.5", True),  # the record: 26.1 is affected through 26.1.14
    ("CVE-2024-41110", "26.1.15", False),
    ("CVE-2024-41110", "27.1.0", True),
    ("CVE-2024-41110", "27.1.1", False),
    ("CVE-2025-23359", "1.17.3", True),
    ("CVE-2025-23359", "1.16.2", True),  # an older branch than the last affected one
    ("CVE-2025-23359", "1.17.4", False),
    ("CVE-2026-31431", "6.18.21", True),
    ("CVE-2026-31431", "6.18.22", False),
    ("CVE-2026-31431", "7.0-rc7", True),
    ("CVE-2026-31431", "4.14-rc3", True),  # pre-releases of the introducing release carry the bug
    ("CVE-2026-31431", "4.13.16", False),
    ("CVE-2026-31431", "5.4.290", True),  # end-of-life branch without the fix
    # the values the records state, copied by hand: Fragnesia, DirtyClone (from 3.9; 6.18.33, 7.0.10) and
    # containerd's image LABEL command (< 1.7.33; 2.2.5; 2.3.2)
    *((cve_id, version, affected) for cve_id in ("CVE-2026-46300", "CVE-2026-43503") for version, affected in (
        ("7.0.9", True), ("7.0.10", False), ("6.18.32", True), ("6.18.33", False), ("3.9", True), ("3.8.13", False),
        ("6.19.14", True))),
    ("CVE-2026-53488", "2.3.1", True),
    ("CVE-2026-53488", "2.3.2", False),
    ("CVE-2026-53488", "2.2.4", True),
    ("CVE-2026-53488", "2.2.5", False),
    ("CVE-2026-53488", "1.6.38", True),  # the record's first range is "< 1.7.33"
    ("CVE-2025-47290", "2.1.0", True),  # "= 2.1.0": that release only
    ("CVE-2025-47290", "2.0.9", False),
    ("CVE-2025-47290", "2.1.1", False),
    *((cve_id, version, affected) for cve_id in ("CVE-2026-53492", "CVE-2026-53489") for version, affected in (
        ("2.0.9", False), ("2.1.0", True), ("2.1.8", True), ("2.1.9", False), ("2.2.4", True), ("2.2.5", False),
        ("2.3.1", True), ("2.3.2", False))),
    ("CVE-2024-0133", "1.16.1", True),  # "up to and including v1.16.1"
    ("CVE-2024-0133", "1.16.2", False),
    ("CVE-2025-23267", "1.17.7", True),  # "up to and including 1.17.7"
    ("CVE-2025-23267", "1.17.8", False),
    ("CVE-2025-24965", "1.19.1", True),  # crun: "< 1.20"
    ("CVE-2025-24965", "0.21", True),
    ("CVE-2025-24965", "1.20", False),
    *((cve_id, version, affected) for cve_id in ("CVE-2026-88264", "CVE-2026-88265") for version, affected in (
        ("1.29.1", True), ("1.8.1", True), ("0.10.4", True), ("1.29.2", False), ("1.30", False))),  # "<= 1.29.1"
])
def test_record_ranges_at_their_edges(cve_id, version, affected):
    (cve,) = [c for c in ALL if c.id == cve_id]
    assert judge(cve, parse_version(version)).affected is affected


@pytest.mark.parametrize("text", ["9" * 5000, "1." + "0" * 7, "v" + "1" * 300, "1.2.3-rc" + "9" * 40])
def test_absurd_versions_are_not_versions(text):
    assert parse_version(text) is None  # never raises, never a number thousands of digits long


@pytest.mark.parametrize(("component", "text", "plausible"), [
    ("kernel", "9999.0.0", False), ("kernel", "21.0", False), ("kernel", "7.0.5", True),
    ("runc", "1000.0.0", False), ("runc", "1.4.0", True), ("crun", "1.29.1", True), ("crun", "1000.0", False),
    ("docker", "29.3.1", True), ("docker", "9999.1", False),
])
def test_implausible_majors_are_not_judged(component, text, plausible):
    assert (cves.plausible(parse_version(text), component) is not None) is plausible


@pytest.mark.parametrize("cve", ALL, ids=lambda c: c.id)
def test_severity_follows_the_one_policy(cve):
    assert cve.impact in cves.IMPACTS
    # a family counts as denied only when every runtime's default profile denies it: containerd 1.6's RuntimeDefault
    # (recorded in the lab) allows every family, so a default Kubernetes pod reaches what Docker's default denies
    default_allows = cve.socket_family not in DOCKER_DEFAULT_DENIED_FAMILIES & CONTAINERD_DEFAULT_DENIED_FAMILIES
    default_allows &= cve.syscall not in CONTAINERD_DEFAULT_DENIED_SYSCALLS
    assert cve.severity == cves.policy_severity(cve.impact, cve.precondition_kind, default_allows)


def test_direct_escapes_from_a_default_container_are_critical():
    by_id = {c.id: c for c in ALL}
    for cve_id in ("CVE-2016-5195", "CVE-2022-0847", "CVE-2026-31431", "CVE-2024-21626", "CVE-2019-5736"):
        assert by_id[cve_id].severity == "critical", cve_id
    # AF_VSOCK: Docker's default seccomp profile denies it, containerd's RuntimeDefault does not
    assert by_id["CVE-2024-50264"].severity == "critical"
    assert by_id["CVE-2023-28642"].aliases == () and by_id["CVE-2023-27561"].aliases == ()
