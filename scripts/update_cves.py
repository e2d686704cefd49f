"""Regenerate the version ranges in hostaudit/data/cves.json from the CVE records vendored under tests/.

    python scripts/update_cves.py          rewrite the ranges (and CVSS scores) of rows with range_source cve_record
    python scripts/update_cves.py --check  exit 1 when the data file differs from what the records say
    python scripts/update_cves.py --discover CVELIST_DIR [--advisories ADVISORY_DB_DIR]
                                           list the tracked records not yet triaged in cves.json

The records are CVE JSON 5 files from CVEProject/cvelistV5 (or a faithful excerpt of their `affected` section),
one per CVE: tests/data/cve_records/<CVE id>.json. What is derived: `introduced`, `fixed` (per major.minor branch),
`last_affected` (where the record gives an inclusive upper bound), `introduced_in_branch` (a range starting inside
its branch), `mainline_fix` and `cvss`. Everything else in a
row (which CVEs, preconditions, impact, modules, notes) stays hand-written. Three record shapes are read:
- the Linux kernel CNA: semver entries "X status affected" (introduced), "F lessThanOrEqual B.*" unaffected (the
  fix of branch B; where a branch names several, the latest counts: the fix came in several commits) and
  "M lessThanOrEqual *" original_commit_for_fix (the mainline fix);
- "lessThan" entries (Google's kernel records): one upper bound per branch, the highest the mainline fix;
- version expressions (GitHub's records: ">= 1.7.0, < 1.7.27", "<= 1.4.7", "= 27.1.0"; NVIDIA's "All versions up
  to and including 1.17.3");
- "lessThanOrEqual" entries outside the kernel CNA (Red Hat's: "0" lessThanOrEqual "1.29.1", an inclusive bound).
A record with none of these ("n/a") gives no ranges: its row must name another source in `range_source`.
`reviewed_through` (top level) is how new the knowledge is, which every report names: the date (dateUpdated /
modified) of the newest vendored record or advisory, or later, of the newest record of a checkout that discovery
found nothing untriaged in (`--discover DIR --mark-reviewed`); it never moves back.
Rows with range_source `github_advisory` take their ranges from the GitHub advisory (OSV JSON from
github/advisory-database) named in the row's `advisory`, vendored under tests/data/advisories: its "introduced" /
"fixed" events per range (used where the CVE record names no range, e.g. CRI-O's).
Rows with range_source `stable_releases` (kernel CVEs whose record, from another CNA, names no range) take their
fixed releases from the kernel's own release records, excerpted under tests/data/kernel_changelogs/<CVE id>.txt:
stable release announcements and mainline release mails whose shortlog names the fix's subject, stable-queue
patches (releases/X.Y.Z/...) that say "commit <fix> upstream." or a release's series listing such a patch, and
kernel.org's push log listing the fix before a release commit. Per branch the earliest such release is the fix.
A bound no excerpt supports stays as written only when the row lists it, with the reason, in `unsourced_bounds`
(a branch, "mainline", or "introduced": the excerpts name fixes, not the commit that brought the bug). The same
excerpts back `fixed_elsewhere` of a `cve_record` row: the stable fixes a record naming only the mainline fix omits.

Discovery reads a cvelistV5 checkout (cves/YEAR/NNNxxx/CVE-*.json) and, optionally, a github/advisory-database
checkout (advisories/github-reviewed/YEAR/MM/GHSA-*/GHSA-*.json, OSV) and prints one line per record that names a
tracked component and is not triaged: neither a row (by id, alias or advisory) nor in `left_out`. Tracked:
- the Linux kernel (a record whose affected product is "Linux"/"kernel") where a program file is in a subsystem a
  container reaches (KERNEL_PATHS: core VFS files fs/*.c, overlayfs, fuse, proc, kernfs, the cgroup, namespace,
  seccomp and BPF code, net/ except radio and hardware protocols, io_uring/, mm/, security/, ipc/, crypto/ for
  AF_ALG), or, for records that name no files, whose title or description names a container-relevant feature
  (KERNEL_WORDS). Drivers, arch code and other filesystems are left out: a container does not reach them by
  default.
- runc, crun, containerd, Docker Engine (moby), BuildKit, CRI-O, Podman, NVIDIA Container Toolkit: by the product
  name of the record's affected entries, or by the advisory's Go package.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "tests" / "data" / "cve_records"
ADVISORIES = ROOT / "tests" / "data" / "advisories"
CHANGELOGS = ROOT / "tests" / "data" / "kernel_changelogs"
DATA = ROOT / "hostaudit" / "data" / "cves.json"
FROM_RECORD = "cve_record"
FROM_ADVISORY = "github_advisory"
FROM_RELEASES = "stable_releases"
MAINLINE = "mainline"  # the `unsourced_bounds` key of the mainline fix
# the product names a record uses for each component (the NVIDIA record also lists the GPU Operator)
PRODUCTS = {"kernel": ("linux", "kernel"), "runc": ("runc",), "containerd": ("containerd",),
            "docker": ("moby", "docker"), "nvidia-toolkit": ("container toolkit",), "cri-o": ("cri-o",),
            "buildkit": ("buildkit",), "crun": ("crun",)}
# version entries that name another product inside the component's entry (NVIDIA lists the GPU Operator there)
OTHER_PRODUCTS = ("gpu operator",)
_BOUND = re.compile(r"^\s*(>=|<=|<|=)\s*v?(\S+?)\s*$")
_UP_TO = re.compile(r"up to and including\s+v?(\S+)", re.IGNORECASE)
_NUMBERS = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?")  # "lessThan": "unspecified" is no bound


class RecordError(ValueError):
    """A record whose affected section cannot be read as version ranges."""


def _key(version: str) -> tuple:
    """Sort key: numbers, then pre-releases (alpha/beta/rc) before the release."""
    match = re.match(r"^(\d+(?:\.\d+)*)(?:[-~.]?(alpha|beta|rc)[.-]?(\d+))?", version)
    if match is None:
        raise RecordError(f"not a version: {version!r}")
    numbers = tuple(int(n) for n in match.group(1).split("."))
    numbers = (*numbers, 0, 0, 0, 0)[:4]
    stage = {"alpha": 0, "beta": 1, "rc": 2}.get(match.group(2) or "", 3)
    return numbers, stage, int(match.group(3) or 0)


def branch(version: str) -> str:
    match = _NUMBERS.match(version)
    if match is None:
        raise RecordError(f"not a version: {version!r}")
    return f"{match.group(1)}.{match.group(2)}"


def _is_mainline(version: str) -> bool:
    """A kernel release of the mainline (7.0, 6.14-rc1), not a stable one (6.13.4)."""
    match = _NUMBERS.match(version)
    return match is not None and (match.group(3) in (None, "0") or "rc" in version)


def _entries(record: dict[str, Any], component: str) -> list[dict[str, Any]]:
    names = PRODUCTS[component]
    found = []
    for affected in record["containers"]["cna"].get("affected", []):
        if any(n in str(affected.get("product", "")).lower() for n in names):
            found += affected.get("versions") or []
    return found


def _kernel_cna(versions: list[dict[str, Any]]) -> dict[str, Any] | None:
    semver = [v for v in versions if v.get("versionType") in ("semver", "original_commit_for_fix")
              or (v.get("status") == "affected" and "versionType" not in v)]
    introduced = [v["version"] for v in semver if v["status"] == "affected" and "lessThan" not in v]
    fixes = [v for v in semver if v["status"] == "unaffected" and v.get("lessThanOrEqual")]
    if not introduced or not fixes:
        return None
    fixed: dict[str, str] = {}
    mainline = None
    for entry in fixes:
        if entry["lessThanOrEqual"] == "*":
            mainline = entry["version"]
        else:
            key = branch(entry["version"])
            fixed[key] = max(fixed.get(key, entry["version"]), entry["version"], key=_key)
    return {"introduced": introduced[0], "fixed": fixed, "last_affected": {}, "mainline_fix": mainline}


def _less_than(versions: list[dict[str, Any]]) -> dict[str, Any] | None:
    bounded = [v for v in versions if v.get("status") == "affected" and _NUMBERS.match(str(v.get("lessThan", "")))]
    if not bounded:
        return None
    lows = {v["version"] for v in bounded} - {"unspecified", "0", "*"}
    uppers = sorted((v["lessThan"] for v in bounded), key=_key)
    mainline = uppers[-1]
    fixed = {branch(u): u for u in uppers[:-1] if not _is_mainline(u)}
    return {"introduced": min(lows, key=_key) if lows else "0", "fixed": fixed, "last_affected": {},
            "mainline_fix": mainline}


def _expressions(versions: list[dict[str, Any]]) -> dict[str, Any] | None:
    """GitHub ("< 1.2.8", ">= 1.3.0-rc.1, < 1.3.3", "<= 1.4.7", "= 27.1.0"), NVIDIA ("up to and including") and
    Red Hat ("lessThanOrEqual")."""
    ranges = []  # (lower or None, upper, inclusive)
    for entry in versions:
        if entry.get("status") != "affected" or "lessThan" in entry:
            continue
        text = str(entry.get("version", ""))
        if _NUMBERS.match(str(entry.get("lessThanOrEqual", ""))):  # Red Hat's: "0" up to and including the bound
            ranges.append((None if text in ("0", "*", "unspecified") else text, entry["lessThanOrEqual"], True))
            continue
        if any(other in text.lower() for other in OTHER_PRODUCTS):
            continue
        up_to = _UP_TO.search(text)
        if up_to:
            ranges.append((None, up_to.group(1), True))
            continue
        bounds = [_BOUND.match(part) for part in text.split(",")]
        if not bounds or None in bounds:
            return None
        ops = {m.group(1): m.group(2) for m in bounds}
        if "=" in ops:
            ranges.append((ops["="], ops["="], True))
        elif "<" in ops:  # "<= 1.2.7, < 1.2.8": the exclusive bound says the same and names the fix
            ranges.append((ops.get(">="), ops["<"], False))
        elif "<=" in ops:
            ranges.append((ops.get(">="), ops["<="], True))
        else:
            return None
    return _bounded(ranges)


def _bounded(ranges: list[tuple[str | None, str, bool]]) -> dict[str, Any] | None:
    """Ranges (lower or None, upper, upper inclusive) as introduced / fixed / last_affected / mainline_fix, and
    `introduced_in_branch` where a range starts after its branch's first release (a regression in 1.29.4 only)."""
    if not ranges:
        return None
    ranges.sort(key=lambda r: _key(r[1]))
    lows = [low for low, _, _ in ranges]
    fixed = {branch(up): up for _, up, inclusive in ranges[:-1] if not inclusive}
    last_affected = {branch(up): up for _, up, inclusive in ranges if inclusive}
    _, top, top_inclusive = ranges[-1]
    found = {"introduced": "0" if None in lows else min(lows, key=_key), "fixed": fixed,
             "last_affected": last_affected, "mainline_fix": None if top_inclusive else top}
    later = {branch(up): low for low, up, _ in ranges
             if low is not None and branch(low) == branch(up) and _key(low) > _key(branch(up))}
    if later:
        found["introduced_in_branch"] = later
    return found


def ranges(record: dict[str, Any], component: str) -> dict[str, Any] | None:
    """The ranges a record states for `component`, or None when it states none (an "n/a" record)."""
    versions = _entries(record, component)
    if record["cveMetadata"].get("assignerShortName") == "Linux":
        return _kernel_cna(versions)
    return _less_than(versions) or _expressions(versions)


def advisory_ranges(advisory: dict[str, Any]) -> dict[str, Any] | None:
    """The ranges of an OSV advisory: each range's "introduced" ("0": every version) up to its "fixed"."""
    ranges: list[tuple[str | None, str, bool]] = []
    for affected in advisory.get("affected", []):
        for found in affected.get("ranges", []):
            low = fixed = None
            for event in found.get("events", []):
                low = event.get("introduced", low)
                fixed = event.get("fixed", fixed)
                if event.get("last_affected"):
                    ranges.append((None if low == "0" else low, event["last_affected"], True))
            if fixed:
                ranges.append((None if low in (None, "0") else low, fixed, False))
    return _bounded(ranges)


_RELEASE = r"(\d+\.\d+(?:\.\d+|-rc\d+)?)"  # 5.10.102, 5.17, 5.17-rc6; never a stable review's 5.10.102-rc1
# a release a block announces: Greg's stable announcements and Linus's mainline mails
_ANNOUNCED = re.compile(rf"^(?:I'm announcing the release of the {_RELEASE} kernel\.|Subject: Linux {_RELEASE})$")
_PUSHED = re.compile(r"^\s*[0-9a-f]{40} (.+)$")  # a commit in a push log: id and subject
_TAGGED = re.compile(rf"^Linux {_RELEASE}$")  # the subject of a release's own commit
# a stable-queue file of release X.Y.Z: a queued patch, or the release's series (the list of its patches)
_QUEUED = re.compile(r"\breleases/(\d+\.\d+\.\d+)/(\S+\.patch|series)\b")
_FIX_COMMIT = re.compile(r"^fix-commit: ([0-9a-f]{12,40})$", re.MULTILINE)
_FIX_SUBJECT = re.compile(r"^fix-subject: (.+)$", re.MULTILINE)
_FIX_PATCH = re.compile(r"^fix-patch: (\S+\.patch)$", re.MULTILINE)


def release_ranges(text: str) -> dict[str, Any]:
    """The releases an excerpt file of tests/data/kernel_changelogs shows carrying the fix: `fixed` per stable
    branch and `mainline_fix`, each the earliest release whose block names the fix: a shortlog line with its
    subject, a stable patch's "commit <fix> upstream.", in a release's series the file name (`fix-patch`) of a
    queued patch that a block of the file shows is the fix, or in a push log's commits (oldest first) the fix's
    subject, the release being the first release commit after it."""
    header, *blocks = re.split(r"^== ", text, flags=re.MULTILINE)
    commit, subject = _FIX_COMMIT.search(header), _FIX_SUBJECT.search(header)
    if commit is None or subject is None:
        raise RecordError("an excerpt file without fix-commit and fix-subject")
    patch = _FIX_PATCH.search(header)
    parsed = []
    for block in blocks:
        source, _, body = block.partition("\n")
        lines = body.splitlines()
        upstream = any(line.startswith(f"commit {commit.group(1)}") and line.endswith(" upstream.") for line in lines)
        parsed.append((source, lines, _QUEUED.search(source), upstream))
    proven = {queued.group(2) for _, _, queued, upstream in parsed if queued and upstream}
    found: list[str] = []
    for source, lines, queued, upstream in parsed:
        listed = bool(queued and queued.group(2) == "series" and patch and patch.group(1) in lines
                      and patch.group(1) in proven)
        commits = [m.group(1) for m in map(_PUSHED.match, lines) if m]
        tags = [(i, m.group(1)) for i, m in enumerate(map(_TAGGED.match, commits)) if m]
        pushed = subject.group(1) in commits
        named = upstream or listed or pushed or f"      {subject.group(1)}" in lines
        announced = {m.group(1) or m.group(2) for m in map(_ANNOUNCED.match, lines) if m}
        if pushed:  # the first release commit after the fix (the list runs oldest first)
            at = commits.index(subject.group(1))
            announced = {tag for i, tag in tags if i > at}
            announced = {min(announced, key=_key)} if announced else set()
        releases = announced or ({queued.group(1)} if queued else set())
        if not named or len(releases) != 1:
            raise RecordError(f"a block that does not name the fix and one release: {source[:120]}")
        found += releases
    fixed: dict[str, str] = {}
    mainline = None
    for release in sorted(found, key=_key, reverse=True):  # the earliest release of a branch is written last
        if _is_mainline(release):
            mainline = release
        else:
            fixed[branch(release)] = release
    return {"fixed": fixed, "mainline_fix": mainline}


def cvss(record: dict[str, Any]) -> dict[str, Any] | None:
    """The record's CVSS score (the CNA's, else an ADP's), newest CVSS version first."""
    containers = [record["containers"]["cna"], *record["containers"].get("adp", [])]
    for container in containers:
        for key in ("cvssV4_0", "cvssV3_1", "cvssV3_0"):
            for metric in container.get("metrics", []):
                if key in metric:
                    found = metric[key]
                    return {"score": found["baseScore"], "severity": found["baseSeverity"],
                            "vector": found["vectorString"],
                            "by": record["cveMetadata"]["assignerShortName"] if container is containers[0]
                            else "ADP"}
    return None


def load_record(cve_id: str) -> dict[str, Any] | None:
    path = RECORDS / f"{cve_id}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def load_advisory(ghsa_id: str) -> dict[str, Any] | None:
    path = ADVISORIES / f"{ghsa_id}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def load_changelog(cve_id: str) -> str | None:
    path = CHANGELOGS / f"{cve_id}.txt"
    return path.read_text(encoding="utf-8") if path.exists() else None


def with_unsourced(row: dict[str, Any], derived: dict[str, Any], key: str = "fixed") -> dict[str, Any]:
    """The release records' fixed releases as the row's `key` ("fixed", or "fixed_elsewhere" beside a CVE record's
    ranges), plus the row's own bounds it names in `unsourced_bounds` (newest branch first); with "fixed", also the
    mainline fix."""
    kept = row.get("unsourced_bounds", {})
    fixed = {**{b: v for b, v in row.get(key, {}).items() if b in kept}, **derived["fixed"]}
    found: dict[str, Any] = {key: dict(sorted(fixed.items(), key=lambda item: _key(item[1]), reverse=True))}
    if key == "fixed":
        found["mainline_fix"] = row["mainline_fix"] if MAINLINE in kept else derived["mainline_fix"]
    return found


def derived_ranges(row: dict[str, Any]) -> dict[str, Any] | None:
    """The ranges the row's authority states: its CVE record, the GitHub advisory it names, or the kernel's release
    records (fixed releases only: `introduced` stays as written)."""
    if row["range_source"] == FROM_RELEASES:
        text = load_changelog(row["id"])
        return with_unsourced(row, release_ranges(text)) if text is not None else None
    if row["range_source"] == FROM_ADVISORY:
        advisory = load_advisory(row.get("advisory", ""))
        return advisory_ranges(advisory) if advisory is not None else None
    record = load_record(row["id"])
    return ranges(record, row["component"]) if record is not None else None


def regenerate(data: dict[str, Any]) -> list[str]:
    """Rewrite the derived fields of every row in place; the problems found, one line each."""
    problems = []
    for row in data["cves"]:
        record = load_record(row["id"])
        if record is not None:
            score = cvss(record)
            if score is not None:
                row["cvss"] = score
        if row["range_source"] not in (FROM_RECORD, FROM_ADVISORY, FROM_RELEASES):
            continue
        derived = derived_ranges(row)
        if derived is None:
            problems.append(f"{row['id']}: range_source is {row['range_source']} but no vendored record, "
                            "advisory or release excerpt states its ranges")
            continue
        if row["range_source"] == FROM_RELEASES:
            row.update(derived)
            continue
        row.pop("introduced_in_branch", None)
        row.update(derived)
        if not row["last_affected"]:
            del row["last_affected"]
        changelog = load_changelog(row["id"])
        if "fixed_elsewhere" in row and changelog is not None:
            row.update(with_unsourced(row, release_ranges(changelog), "fixed_elsewhere"))
    return problems


def _record_date(record: dict[str, Any]) -> str | None:
    """The YYYY-MM-DD a CVE record (dateUpdated, else datePublished) or an OSV advisory (modified) was last changed."""
    meta = record.get("cveMetadata")
    stamp = (meta.get("dateUpdated") or meta.get("datePublished")) if isinstance(meta, dict) else record.get(
        "modified")
    return stamp[:10] if isinstance(stamp, str) and re.match(r"^\d{4}-\d{2}-\d{2}", stamp) else None


def reviewed_through() -> str | None:
    """The date of the newest vendored record or advisory: what the data has been reviewed against."""
    dates = [_record_date(json.loads(path.read_text(encoding="utf-8")))
             for folder in (RECORDS, ADVISORIES) for path in folder.glob("*.json")]
    return max(filter(None, dates), default=None)


# Discovery: which records name a tracked component (see the module's docstring)
KERNEL_PATHS = re.compile(
    r"^(fs/[^/]+\.c$|fs/(overlayfs|fuse|proc|kernfs|sysfs|notify)/|kernel/cgroup/|kernel/bpf/|"
    r"kernel/(nsproxy|user_namespace|pid_namespace|utsname|seccomp|ptrace|fork|capability|cred)\.c$|"
    r"net/(?!bluetooth/|wireless/|mac80211/|nfc/|can/|ieee802154/|mac802154/|6lowpan/)|io_uring/|mm/|security/|"
    r"ipc/|crypto/(af_alg|algif_)|include/linux/(cgroup|user_namespace|io_uring))")
KERNEL_WORDS = re.compile(r"namespace|overlayfs|cgroup|io_uring|netfilter|nf_tables|seccomp|container",
                          re.IGNORECASE)
TRACKED_PRODUCTS = {"runc": "runc", "crun": "crun", "containerd": "containerd", "moby": "docker",
                    "docker": "docker", "docker engine": "docker", "buildkit": "buildkit", "cri-o": "cri-o",
                    "podman": "podman", "container toolkit": "nvidia-toolkit",
                    "nvidia container toolkit": "nvidia-toolkit"}
TRACKED_PACKAGES = re.compile(
    r"^github\.com/(opencontainers/runc|containers/crun|containerd/containerd|docker/docker|moby/moby|"
    r"moby/buildkit|cri-o/cri-o|containers/podman|nvidia/nvidia-container-toolkit)(/v\d+)?$", re.IGNORECASE)
PACKAGE_COMPONENT = {"runc": "runc", "crun": "crun", "containerd": "containerd", "docker": "docker", "moby": "docker",
                     "buildkit": "buildkit", "cri-o": "cri-o", "podman": "podman",
                     "nvidia-container-toolkit": "nvidia-toolkit"}
MAX_RECORD_BYTES = 4 * 1024 * 1024  # the largest cvelistV5 records are a few hundred KiB


class CorpusError(ValueError):
    """A checkout that is not a cvelistV5 / advisory-database tree, or a record that is not JSON."""


class Found(NamedTuple):
    """A record that names a tracked component: one line of discovery's output."""

    id: str
    component: str
    date: str
    title: str
    aliases: tuple[str, ...] = ()

    def line(self) -> str:
        title = " ".join(self.title.split())[:160] or "(the record has no title)"
        return f"{self.id}\t{self.component}\t{self.date}\t{title}"


def _kernel_tracked(cna: dict[str, Any], affected: dict[str, Any]) -> bool:
    files = [f for f in affected.get("programFiles") or [] if isinstance(f, str)]
    if files:
        return any(KERNEL_PATHS.match(f) for f in files)
    text = " ".join([str(cna.get("title", "")), *(str(d.get("value", "")) for d in cna.get("descriptions", [])
                                                     if isinstance(d, dict))])
    return bool(KERNEL_WORDS.search(text))


def record_component(record: dict[str, Any]) -> str | None:
    """The tracked component a CVE JSON 5 record names, or None."""
    cna = record.get("containers", {}).get("cna", {})
    for affected in cna.get("affected") or []:
        if not isinstance(affected, dict):
            continue
        product = str(affected.get("product", "")).strip().lower()
        vendor = str(affected.get("vendor", "")).strip().lower()
        if product in ("linux", "kernel", "linux kernel", "linux_kernel") and vendor not in ("android", "google"):
            if _kernel_tracked(cna, affected):
                return "kernel"
            continue
        if product in TRACKED_PRODUCTS and (product != "container toolkit" or vendor == "nvidia"):
            return TRACKED_PRODUCTS[product]
    return None


def advisory_component(advisory: dict[str, Any]) -> str | None:
    """The tracked component an OSV advisory's Go package is, or None."""
    for affected in advisory.get("affected") or []:
        name = str((affected.get("package") or {}).get("name", "")) if isinstance(affected, dict) else ""
        match = TRACKED_PACKAGES.match(name)
        if match:
            project = match.group(1).split("/")[1].lower()
            return PACKAGE_COMPONENT[project]
    return None


def _json_files(root: Path, pattern: str) -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in sorted(root.glob(pattern)):
        if path.is_symlink() or not path.is_file():
            continue
        if path.stat().st_size > MAX_RECORD_BYTES:
            raise CorpusError(f"{path}: larger than {MAX_RECORD_BYTES} bytes, not a record")
        try:
            found = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CorpusError(f"{path}: not JSON ({exc})") from None
        if not isinstance(found, dict):
            raise CorpusError(f"{path}: not a JSON object")
        yield path, found


def _checkout(root: Path, inner: str, what: str) -> Path:
    if not (root / inner).is_dir():
        raise CorpusError(f"{root}: not a {what} checkout (no {inner}/ directory)")
    return root / inner


def tracked_records(cvelist: Path, advisories: Path | None) -> tuple[list[Found], str | None]:
    """Every record and advisory of the checkouts that names a tracked component, and the newest date of any record
    read (tracked or not): how far the checkouts reach."""
    found = []
    dates = []
    for _, record in _json_files(_checkout(cvelist, "cves", "cvelistV5"), "*/*xxx/CVE-*.json"):
        dates.append(_record_date(record))
        meta = record.get("cveMetadata") or {}
        component = record_component(record) if meta.get("state") != "REJECTED" else None
        if component:
            cna = record["containers"]["cna"]
            title = cna.get("title") or next((d.get("value", "") for d in cna.get("descriptions", [])), "")
            found.append(Found(str(meta.get("cveId")), component, _record_date(record) or "?", str(title)))
    if advisories is not None:
        folder = _checkout(advisories, "advisories/github-reviewed", "github/advisory-database")
        for _, advisory in _json_files(folder, "*/*/GHSA-*/GHSA-*.json"):
            dates.append(_record_date(advisory))
            component = advisory_component(advisory) if not advisory.get("withdrawn") else None
            if component:
                aliases = tuple(str(a) for a in advisory.get("aliases") or [])
                title = advisory.get("summary") or advisory.get("details") or ", ".join(aliases)
                found.append(Found(str(advisory.get("id")), component, _record_date(advisory) or "?", str(title),
                                   aliases))
    return found, max(filter(None, dates), default=None)


def triaged(data: dict[str, Any]) -> set[str]:
    """Every CVE and advisory id cves.json has decided on: its rows (ids, aliases, advisories) and `left_out`."""
    ids = set()
    for row in data.get("cves", []):
        ids |= {row["id"], *row.get("aliases", ()), *filter(None, [row.get("advisory")])}
    return ids | {row["id"] for row in data.get("left_out", [])}


def discover(data: dict[str, Any], cvelist: Path, advisories: Path | None) -> tuple[list[Found], str | None]:
    """The tracked records cves.json has not triaged (an advisory counts as triaged when any of its CVEs is), and
    the newest date of the records read."""
    known = triaged(data)
    found, newest = tracked_records(cvelist, advisories)
    return [f for f in found if f.id not in known and not known & set(f.aliases)], newest


def _latest(*dates: str | None) -> str | None:
    return max(filter(None, dates), default=None)


def _discover(args: argparse.Namespace) -> int:
    try:
        data = json.loads(args.data.read_text(encoding="utf-8"))
        new, newest = discover(data, args.discover, args.advisories)
    except (ValueError, OSError) as exc:  # CorpusError, a triage file that is not JSON, an unreadable path
        print(f"update_cves: {exc}", file=sys.stderr)
        return 2
    for found in new:
        print(found.line())
    print(f"{len(new)} tracked record(s) not yet triaged in {args.data}", file=sys.stderr)
    if not args.mark_reviewed:
        return 0
    if new:
        print(f"reviewed_through not moved: triage the {len(new)} record(s) first", file=sys.stderr)
        return 1
    data["reviewed_through"] = _latest(data.get("reviewed_through"), newest)
    args.data.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"reviewed_through: {data['reviewed_through']}", file=sys.stderr)
    return 0


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line, exit 2."""

    def error(self, message: str) -> NoReturn:
        print(f"update_cves: {message}", file=sys.stderr)
        sys.exit(2)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether the data file is current")
    parser.add_argument("--discover", type=Path, metavar="CVELIST_DIR",
                        help="list the tracked records of a cvelistV5 checkout that cves.json has not triaged")
    parser.add_argument("--advisories", type=Path, metavar="ADVISORY_DB_DIR",
                        help="with --discover: also a github/advisory-database checkout")
    parser.add_argument("--mark-reviewed", action="store_true",
                        help="with --discover: when nothing is left to triage, set reviewed_through to the newest "
                             "record's date")
    parser.add_argument("--data", type=Path, default=DATA, help=argparse.SUPPRESS)  # tests: another triage file
    args = parser.parse_args(argv)
    if (args.advisories is not None or args.mark_reviewed) and args.discover is None:
        parser.error("--advisories and --mark-reviewed need --discover")
    if args.discover is not None:
        return _discover(args)
    before = DATA.read_text(encoding="utf-8")
    data = json.loads(before)
    try:
        problems = regenerate(data)
    except RecordError as exc:  # a vendored record or excerpt that cannot be read as ranges
        print(f"update_cves: {exc}", file=sys.stderr)
        return 2
    data["reviewed_through"] = _latest(data.get("reviewed_through"), reviewed_through())
    for problem in problems:
        print(problem, file=sys.stderr)
    after = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    if args.check:
        if after != before:
            print(f"{DATA} differs from the vendored records: run scripts/update_cves.py", file=sys.stderr)
            return 1
        return 1 if problems else 0
    DATA.write_text(after, encoding="utf-8")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
