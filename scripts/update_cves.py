"""Regenerate the version ranges in hostaudit/data/cves.json from the CVE records vendored under tests/.

    python scripts/update_cves.py          rewrite the ranges (and CVSS scores) of rows with range_source cve_record
    python scripts/update_cves.py --check  exit 1 when the data file differs from what the records say

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
  to and including 1.17.3").
A record with none of these ("n/a") gives no ranges: its row must name another source in `range_source`.
Rows with range_source `github_advisory` take their ranges from the GitHub advisory (OSV JSON from
github/advisory-database) named in the row's `advisory`, vendored under tests/data/advisories: its "introduced" /
"fixed" events per range (used where the CVE record names no range, e.g. CRI-O's).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "tests" / "data" / "cve_records"
ADVISORIES = ROOT / "tests" / "data" / "advisories"
DATA = ROOT / "hostaudit" / "data" / "cves.json"
FROM_RECORD = "cve_record"
FROM_ADVISORY = "github_advisory"
# the product names a record uses for each component (the NVIDIA record also lists the GPU Operator)
PRODUCTS = {"kernel": ("linux", "kernel"), "runc": ("runc",), "containerd": ("containerd",),
            "docker": ("moby", "docker"), "nvidia-toolkit": ("container toolkit",), "cri-o": ("cri-o",),
            "buildkit": ("buildkit",)}
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
    """GitHub ("< 1.2.8", ">= 1.3.0-rc.1, < 1.3.3", "<= 1.4.7", "= 27.1.0") and NVIDIA ("up to and including")."""
    ranges = []  # (lower or None, upper, inclusive)
    for entry in versions:
        if entry.get("status") != "affected" or "lessThan" in entry:
            continue
        text = str(entry.get("version", ""))
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


def derived_ranges(row: dict[str, Any]) -> dict[str, Any] | None:
    """The ranges the row's authority states: its CVE record, or the GitHub advisory it names."""
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
        if row["range_source"] not in (FROM_RECORD, FROM_ADVISORY):
            continue
        derived = derived_ranges(row)
        if derived is None:
            problems.append(f"{row['id']}: range_source is {row['range_source']} but no vendored record or "
                            "advisory states its ranges")
            continue
        row.pop("introduced_in_branch", None)
        row.update(derived)
        if not row["last_affected"]:
            del row["last_affected"]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether the data file is current")
    args = parser.parse_args(argv)
    before = DATA.read_text(encoding="utf-8")
    data = json.loads(before)
    problems = regenerate(data)
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
