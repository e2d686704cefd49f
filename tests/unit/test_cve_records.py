"""The ranges in hostaudit/data/cves.json are the ones their vendored sources state: CVE records
(tests/data/cve_records), GitHub advisories (tests/data/advisories) and the kernel's release records
(tests/data/kernel_changelogs).

The oracle is the source, read by scripts/update_cves.py; the reader itself is checked here against the values the
sources spell out (Copy Fail's fixed releases as the kernel CNA lists them, runc's as GitHub's record lists them,
Dirty Pipe's as its discoverer's disclosure lists them). Any bound moved by one release fails
`test_every_bound_moved_by_one_release_disagrees_with_its_source`, except those a row names in `unsourced_bounds`.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import re
from pathlib import Path

import pytest

from hostaudit import cves

ROOT = Path(__file__).resolve().parents[2]
RECORDS = ROOT / "tests" / "data" / "cve_records"
ADVISORIES = ROOT / "tests" / "data" / "advisories"
CHANGELOGS = ROOT / "tests" / "data" / "kernel_changelogs"
ROWS = cves.raw_data()["cves"]
FROM_RECORD = [r for r in ROWS if r["range_source"] == "cve_record"]
FROM_ADVISORY = [r for r in ROWS if r["range_source"] == "github_advisory"]
FROM_RELEASES = [r for r in ROWS if r["range_source"] == "stable_releases"]
AUTHORITATIVE = ("cve_record", "github_advisory", "stable_releases")
# rows whose ranges their CVE record states only in prose (its description) or another project's release notes,
# which no reader here derives: a bound of theirs moved by one release fails no test yet
FROM_PROSE = {r["id"] for r in ROWS if r["range_source"].startswith(("the CVE record's", "Docker CE release notes"))}


def _load_script():
    spec = importlib.util.spec_from_file_location("update_cves", ROOT / "scripts" / "update_cves.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


UPDATE = _load_script()


def _record(cve_id: str) -> dict:
    return json.loads((RECORDS / f"{cve_id}.json").read_text(encoding="utf-8"))


def _advisory(ghsa_id: str) -> dict:
    return json.loads((ADVISORIES / f"{ghsa_id}.json").read_text(encoding="utf-8"))


def _changelog(cve_id: str) -> str:
    return (CHANGELOGS / f"{cve_id}.txt").read_text(encoding="utf-8")


def _derived(row: dict) -> dict | None:
    if row["range_source"] == "github_advisory":
        return UPDATE.advisory_ranges(_advisory(row["advisory"]))
    return UPDATE.ranges(_record(row["id"]), row["component"])


def _mismatches(row: dict) -> list[str]:
    """The bounds of `row` that differ from what its vendored source states (none: they agree)."""
    if row["range_source"] == "stable_releases":
        derived = UPDATE.release_ranges(_changelog(row["id"]))
        kept = row.get("unsourced_bounds", {})
        found = {b: v for b, v in row["fixed"].items() if b not in kept}
        wrong = [f"fixed {found} != {derived['fixed']}"] if found != derived["fixed"] else []
        if "mainline" not in kept and row["mainline_fix"] != derived["mainline_fix"]:
            wrong.append(f"mainline_fix {row['mainline_fix']} != {derived['mainline_fix']}")
        return wrong + [f"{b} is sourced and unsourced" for b in kept if b in derived["fixed"]]
    derived = _derived(row)
    if derived is None:
        return ["its vendored record or advisory states no range"]
    pairs = [("introduced", row["introduced"], derived["introduced"]), ("fixed", row["fixed"], derived["fixed"]),
             ("last_affected", row.get("last_affected", {}), derived["last_affected"]),
             ("introduced_in_branch", row.get("introduced_in_branch", {}), derived.get("introduced_in_branch", {})),
             ("mainline_fix", row["mainline_fix"], derived["mainline_fix"])]
    if "fixed_elsewhere" in row:  # the stable fixes the record leaves out, from the kernel's release records
        kept = row.get("unsourced_bounds", {})
        elsewhere = UPDATE.release_ranges(_changelog(row["id"]))["fixed"]
        pairs.append(("fixed_elsewhere", {b: v for b, v in row["fixed_elsewhere"].items() if b not in kept}, elsewhere))
    return [f"{name} {ours} != {theirs}" for name, ours, theirs in pairs if ours != theirs]


@pytest.mark.parametrize("row", FROM_RECORD + FROM_ADVISORY + FROM_RELEASES, ids=lambda r: r["id"])
def test_every_range_equals_what_its_source_states(row):
    assert _mismatches(row) == [], row["id"]


def _moved(version: str) -> str:
    """The next release after `version`: 5.10.102 -> 5.10.103, 5.17-rc6 -> 5.17-rc7, 1.4.0-rc.3 -> 1.4.0-rc.4."""
    match = re.match(r"^(.*?)(\d+)$", version)
    assert match, version
    return f"{match.group(1)}{int(match.group(2)) + 1}"


def _bounds(row: dict) -> list[tuple[str, str]]:
    """(where, branch or "mainline" or "introduced") of every bound of a row."""
    return [("introduced", "introduced"), *(("fixed", b) for b in row["fixed"]),
            *(("last_affected", b) for b in row.get("last_affected", {})),
            *(("fixed_elsewhere", b) for b in row.get("fixed_elsewhere", {})),
            *([("mainline_fix", "mainline")] if row["mainline_fix"] else [])]


def _each_bound_moved(row: dict) -> list[tuple[str, str, dict]]:
    """(where, branch key, a copy of the row with that bound moved by one release) for every bound the row does not
    name in `unsourced_bounds`."""
    kept, found = row.get("unsourced_bounds", {}), []
    for where, key in _bounds(row):
        if key in kept:
            continue
        moved = copy.deepcopy(row)
        if where in ("mainline_fix", "introduced"):
            moved[where] = _moved(row[where])
        else:
            moved[where][key] = _moved(row[where][key])
        found.append((where, key, moved))
    return found


@pytest.mark.parametrize("row", [r for r in ROWS if r["id"] not in FROM_PROSE], ids=lambda r: r["id"])
def test_every_bound_moved_by_one_release_disagrees_with_its_source(row):
    """For every row, any bound (introducing, fixed, last affected, fixed elsewhere or mainline release) moved by
    one release makes the comparison with its source fail, the data file left as it is. Only the bounds a row names
    in `unsourced_bounds` escape, and a row not derived from a vendored source must name every bound there."""
    kept = row.get("unsourced_bounds", {})
    assert all(len(reason) > 40 for reason in kept.values())
    derivable = row["range_source"] in AUTHORITATIVE
    for where, key, moved in _each_bound_moved(row):
        assert derivable, f"{row['id']}: {key} comes from {row['range_source'][:60]}, no vendored source"
        assert _mismatches(moved), f"{row['id']}: {where} {key} moved by one release passes"


QUOTED = re.compile(r"\('([^']+)'")  # the record's own words a prose row's range_source quotes
STATED = re.compile(r"\b(before|prior to|through)\s+(\d[\w.+-]*)|(\d[\w.+-]*) and earlier")
BRANCH_ONLY = re.compile(r"\b(\d+\.\d+)\.x\b")  # "Docker 19.03.x before 19.03.1": nothing below 19.03.0


def _strings(value: object) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return [value] if isinstance(value, str) else []


def _previous(version: str) -> str:
    """The release before `version`: 19.03.1 -> 19.03.0, 1.0.0-rc95 -> 1.0.0-rc94, 6.4-rc1 -> 6.4-rc0."""
    match = re.match(r"^(.*?)(\d+)$", version)
    assert match and int(match.group(2)) > 0, version
    return f"{match.group(1)}{int(match.group(2)) - 1}"


def _prose_mismatches(row: dict) -> list[str]:
    """Where `row`'s verdicts disagree with the words its vendored record states ("runc through 1.1.4", "before
    5.17.3", "1.29.1 and earlier"): the stated bound and the release beside it, and the oldest release the words
    cover, each judged by hostaudit's own range logic (cves.judge) over the row."""
    phrase = QUOTED.search(row["range_source"]).group(1)
    if not any(phrase in text for text in _strings(_record(row["id"]))):
        return [f"{phrase!r} is not in the vendored record"]
    stated = STATED.search(phrase)
    relation, text = ("through", stated.group(3)) if stated.group(3) else stated.group(1, 2)
    last_affected, first_fixed = (text, _moved(text)) if relation == "through" else (_previous(text), text)
    branch = BRANCH_ONLY.search(phrase)
    expected = [(last_affected, True), (first_fixed, False)]
    if "introduced" not in row.get("unsourced_bounds", {}):
        expected.append((f"{branch.group(1)}.0" if branch else "0.1", True))
    cve = cves._cve(row)
    return [f"{version}: affected={not affected}, the record says {affected}" for version, affected in expected
            if cves.judge(cve, cves.parse_version(version)).affected is not affected]


PROSE_FROM_RECORDS = sorted(FROM_PROSE - {"CVE-2018-15664"})  # 15664's words are Docker's release notes


@pytest.mark.parametrize("row_id", PROSE_FROM_RECORDS)
def test_rows_from_a_records_words_judge_as_those_words_say(row_id):
    row = next(r for r in ROWS if r["id"] == row_id)
    assert _prose_mismatches(row) == []


@pytest.mark.parametrize("row_id", PROSE_FROM_RECORDS)
def test_every_bound_of_a_row_from_a_records_words_moved_by_one_release_disagrees_with_them(row_id):
    """The rows no reader derives: any bound moved by one release is judged against what their record's words
    state; a bound the words do not state is named, with the reason, in `unsourced_bounds`."""
    row = next(r for r in ROWS if r["id"] == row_id)
    kept = row.get("unsourced_bounds", {})
    assert all(len(reason) > 40 for reason in kept.values())
    for where, key, moved in _each_bound_moved(row):
        assert _prose_mismatches(moved), f"{row_id}: {where} {key} moved by one release still agrees"


def test_rows_from_prose_are_the_known_ones():
    """The rows whose ranges no reader derives (their record's description, Docker's release notes): listed so a
    new one is a decision, not an accident."""
    known = {"CVE-2019-5736", "CVE-2019-16884", "CVE-2021-30465", "CVE-2023-27561", "CVE-2019-14271", "CVE-2019-19921",
             "CVE-2022-29582", "CVE-2023-2598", "CVE-2018-15664",
             "CVE-2026-88265"}  # crun: its record's affected section names a package, no version
    assert known == FROM_PROSE


@pytest.mark.parametrize("row", [r for r in ROWS if (CHANGELOGS / f"{r['id']}.txt").exists()], ids=lambda r: r["id"])
def test_release_excerpts_name_their_fix_and_where_each_came_from(row):
    text = _changelog(row["id"])
    commit = re.search(r"^fix-commit: ([0-9a-f]+)$", text, re.MULTILINE).group(1)
    assert commit.startswith(row["fix_commit"]) or row["fix_commit"].startswith(commit)
    for block in re.split(r"^== ", text, flags=re.MULTILINE)[1:]:
        source = block.partition("\n")[0]
        assert (source.startswith("https://lore.kernel.org/") or re.search(r"releases/\S+ at [0-9a-f]{40}$", source)
                or ("git.kernel.org/pub/scm/infra/transparency-logs/gitolite" in source
                    and "Message-Id: <" in block and "git_push_cert_status: G" in block))
    assert set(row.get("unsourced_bounds", {})) <= {*row["fixed"], *row.get("fixed_elsewhere", {}), "mainline",
                                                    "introduced"}


@pytest.mark.parametrize("row", FROM_RECORD, ids=lambda r: r["id"])
def test_ranges_from_elsewhere_never_override_the_record(row):
    elsewhere = row.get("fixed_elsewhere", {})
    assert not set(elsewhere) & set(row["fixed"]), "a branch the record names is the record's"
    assert not elsewhere or row.get("fixed_elsewhere_source")
    assert all(r.get("source") for r in row.get("also_affected", ()))


@pytest.mark.parametrize("row", [r for r in ROWS if r["range_source"] not in AUTHORITATIVE], ids=lambda r: r["id"])
def test_rows_not_from_a_record_name_their_source_and_no_vendored_record_has_ranges(row):
    assert len(row["range_source"]) > 20  # a named source, not a placeholder
    if (RECORDS / f"{row['id']}.json").exists():
        assert UPDATE.ranges(_record(row["id"]), row["component"]) is None, \
            f"{row['id']}: its record states ranges: set range_source to cve_record and run scripts/update_cves.py"


def test_every_release_excerpt_file_is_used():
    assert {p.stem for p in CHANGELOGS.glob("*")} == {r["id"] for r in ROWS
                                                      if r in FROM_RELEASES or "fixed_elsewhere" in r}


def test_every_vendored_record_is_used_and_names_where_it_came_from():
    ids = {r["id"] for r in ROWS}
    for path in RECORDS.glob("*.json"):
        record = json.loads(path.read_text(encoding="utf-8"))
        assert record["cveMetadata"]["cveId"] == path.stem and path.stem in ids
        source = record["x_vendored"]
        assert source["repo"] == "CVEProject/cvelistV5" and len(source["commit"]) == 40
        assert source["path"].endswith(f"/{path.stem}.json")


def test_every_vendored_advisory_is_used_and_names_where_it_came_from():
    used = {r["advisory"]: r["id"] for r in FROM_ADVISORY}
    for path in ADVISORIES.glob("*.json"):
        advisory = json.loads(path.read_text(encoding="utf-8"))
        assert advisory["id"] == path.stem and used[path.stem] in advisory["aliases"]
        source = advisory["x_vendored"]
        assert source["repo"] == "github/advisory-database" and len(source["commit"]) == 40
        assert source["path"].endswith(f"/{path.stem}.json")


def test_undecided_rows_say_why():
    for row in ROWS:
        if "undecided" in row:
            assert len(row["undecided"]["reason"]) > 40
            assert row["undecided"].get("unlisted_branches") or row["undecided"].get("above_ranges")


def test_the_data_file_is_what_the_script_writes():
    assert UPDATE.main(["--check"]) == 0


def test_cvss_scores_are_kept_from_the_records():
    row = next(r for r in ROWS if r["id"] == "CVE-2025-23359")
    assert row["cvss"] == {"score": 8.3, "severity": "HIGH", "vector": "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:H/A:H",
                           "by": "nvidia"}


# the reader against values copied by hand from the records (an oracle independent of the reader)
def test_reader_kernel_cna_copy_fail():
    derived = UPDATE.ranges(_record("CVE-2026-31431"), "kernel")
    assert derived == {"introduced": "4.14", "last_affected": {}, "mainline_fix": "7.0", "fixed": {
        "5.10": "5.10.254", "5.15": "5.15.204", "6.1": "6.1.170", "6.6": "6.6.137", "6.12": "6.12.85",
        "6.18": "6.18.22", "6.19": "6.19.12"}}


def test_reader_kernel_cna_takes_the_later_of_two_fixes_in_a_branch():
    derived = UPDATE.ranges(_record("CVE-2026-43284"), "kernel")
    assert derived["fixed"]["5.15"] == "5.15.206" and derived["fixed"]["6.1"] == "6.1.172"


def test_reader_kernel_cna_record_without_a_mainline_fix():
    for cve_id in ("CVE-2026-46300", "CVE-2026-43503"):  # Fragnesia, DirtyClone
        assert UPDATE.ranges(_record(cve_id), "kernel") == {"introduced": "3.9", "last_affected": {},
                                                            "mainline_fix": None, "fixed": {
            "5.10": "5.10.257", "5.15": "5.15.208", "6.1": "6.1.174", "6.6": "6.6.141", "6.12": "6.12.91",
            "6.18": "6.18.33", "7.0": "7.0.10"}}


def test_reader_github_record_with_a_range_open_below():
    assert UPDATE.ranges(_record("CVE-2026-53488"), "containerd") == {
        "introduced": "0", "fixed": {"1.7": "1.7.33", "2.0": "2.0.10", "2.1": "2.1.9", "2.2": "2.2.5"},
        "last_affected": {}, "mainline_fix": "2.3.2"}


def test_reader_single_release_and_branch_started_records():
    assert UPDATE.ranges(_record("CVE-2025-47290"), "containerd") == {
        "introduced": "2.1.0", "fixed": {}, "last_affected": {"2.1": "2.1.0"}, "mainline_fix": None}
    for cve_id in ("CVE-2026-53492", "CVE-2026-53489"):  # ">= 2.1.0, < 2.1.9", ">= 2.2.0, < 2.2.5", ">= 2.3.0, < 2.3.2"
        assert UPDATE.ranges(_record(cve_id), "containerd") == {
            "introduced": "2.1.0", "fixed": {"2.1": "2.1.9", "2.2": "2.2.5"}, "last_affected": {},
            "mainline_fix": "2.3.2"}
    assert UPDATE.ranges(_record("CVE-2024-0133"), "nvidia-toolkit")["last_affected"] == {"1.16": "1.16.1"}
    assert UPDATE.ranges(_record("CVE-2025-23267"), "nvidia-toolkit")["last_affected"] == {"1.17": "1.17.7"}


def test_reader_red_hat_less_than_or_equal_and_crun_records():
    # CVE-2026-88264: crun "0" lessThanOrEqual "1.29.1" (Red Hat's own package entries carry no crun range)
    assert UPDATE.ranges(_record("CVE-2026-88264"), "crun") == {
        "introduced": "0", "fixed": {}, "last_affected": {"1.29": "1.29.1"}, "mainline_fix": None}
    assert UPDATE.ranges(_record("CVE-2025-24965"), "crun") == {  # "< 1.20"
        "introduced": "0", "fixed": {}, "last_affected": {}, "mainline_fix": "1.20"}
    assert UPDATE.ranges(_record("CVE-2026-88265"), "crun") is None  # no crun entry: the description is the source


def test_crun_dev_null_row_is_the_range_its_records_description_states():
    record = _record("CVE-2026-88265")
    (description,) = [d["value"] for d in record["containers"]["cna"]["descriptions"]]
    (last,) = re.findall(r"Affected versions are crun (\d+\.\d+(?:\.\d+)?) and earlier", description)
    (row,) = [r for r in ROWS if r["id"] == "CVE-2026-88265"]
    assert row["introduced"] == "0" and row["fixed"] == {} and row["mainline_fix"] is None
    assert row["last_affected"] == {UPDATE.branch(last): last}


def test_reader_less_than_records():
    derived = UPDATE.ranges(_record("CVE-2021-22600"), "kernel")
    assert derived == {"introduced": "0", "fixed": {"5.4": "5.4.168", "5.10": "5.10.88", "5.15": "5.15.11"},
                       "last_affected": {}, "mainline_fix": "5.16-rc6"}


def test_reader_github_expressions():
    assert UPDATE.ranges(_record("CVE-2025-31133"), "runc") == {
        "introduced": "0", "fixed": {"1.2": "1.2.8", "1.3": "1.3.3"}, "last_affected": {"1.4": "1.4.0-rc.3"},
        "mainline_fix": None}
    assert UPDATE.ranges(_record("CVE-2024-21626"), "runc")["introduced"] == "1.0.0-rc93"
    assert UPDATE.ranges(_record("CVE-2025-23359"), "nvidia-toolkit")["last_affected"] == {"1.17": "1.17.3"}


def test_reader_release_records_dirty_pipe():
    # https://dirtypipe.cm4all.com/ (Max Kellermann's disclosure): "fixed in Linux 5.16.11, 5.15.25 and 5.10.102";
    # the fix commit is in 5.17-rc6
    assert UPDATE.release_ranges(_changelog("CVE-2022-0847")) == {
        "fixed": {"5.16": "5.16.11", "5.15": "5.15.25", "5.10": "5.10.102"}, "mainline_fix": "5.17-rc6"}


def test_reader_release_records_takes_the_earliest_release_of_a_branch_and_refuses_unnamed_blocks():
    text = _changelog("CVE-2022-0847")
    later = text + "\n== https://lore.kernel.org/stable/x/\nI'm announcing the release of the 5.10.103 kernel.\n" \
                   '      lib/iov_iter: initialize "flags" in new pipe_buffer\n'
    assert UPDATE.release_ranges(later)["fixed"]["5.10"] == "5.10.102"
    unnamed = text + "\n== https://lore.kernel.org/stable/y/\nI'm announcing the release of the 5.10.101 kernel.\n"
    with pytest.raises(UPDATE.RecordError):
        UPDATE.release_ranges(unnamed)


def test_reader_release_records_push_log_release_is_the_first_release_commit_after_the_fix():
    # kernel.org's push log of 11 Feb 2022: linux-4.19.y got the cgroup-v1 fix, then "Linux 4.19.229"
    assert UPDATE.release_ranges(_changelog("CVE-2022-0492"))["fixed"]["4.19"] == "4.19.229"
    header = "fix-commit: 24f600856418\nfix-subject: cgroup-v1: Require capabilities to set release_agent\n"
    fix = f"{'1' * 40} cgroup-v1: Require capabilities to set release_agent"
    tag_after = f"== push log\n{'2' * 40} Linux 4.19.228\n{fix}\n{'3' * 40} Linux 4.19.229\n"
    assert UPDATE.release_ranges(header + tag_after)["fixed"] == {"4.19": "4.19.229"}
    with pytest.raises(UPDATE.RecordError):  # no release commit after the fix: no release carries it here
        UPDATE.release_ranges(header + f"== push log\n{'2' * 40} Linux 4.19.228\n{fix}\n")


def test_script_reports_an_excerpt_it_cannot_read_in_one_line(tmp_path, monkeypatch, capsys):
    for path in CHANGELOGS.glob("*.txt"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    with (tmp_path / "CVE-2022-0847.txt").open("a", encoding="utf-8") as excerpt:
        excerpt.write("\n== https://lore.kernel.org/stable/x/\nI'm announcing the release of the 5.10.101 kernel.\n")
    monkeypatch.setattr(UPDATE, "CHANGELOGS", tmp_path)
    assert UPDATE.main(["--check"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not name the fix" in err


def test_reader_finds_no_ranges_in_n_a_records():
    assert UPDATE.ranges(_record("CVE-2019-14271"), "docker") is None
    assert UPDATE.ranges(_record("CVE-2022-0847"), "kernel") is None


def test_reader_skips_the_gpu_operator_listed_inside_the_toolkit_entry():
    assert UPDATE.ranges(_record("CVE-2025-23266"), "nvidia-toolkit")["last_affected"] == {"1.17": "1.17.7"}


def test_reader_takes_no_bound_from_an_unspecified_upper_limit():
    assert UPDATE.ranges(_record("CVE-2021-22555"), "kernel") is None  # introduced 2.6.19-rc1, no fixed release


def test_reader_reads_debian_style_release_candidates():
    assert UPDATE.ranges(_record("CVE-2022-2588"), "kernel") == {
        "introduced": "0", "fixed": {}, "last_affected": {}, "mainline_fix": "6.0~rc1"}


def test_reader_github_advisory_osv_ranges():
    # GHSA-6x2m-w449-qwx7 as GitHub lists it: introduced 1.19.0 .. 1.23.0, fixed 1.19.6, 1.20.7, 1.21.6, 1.22.3, 1.23.2
    assert UPDATE.advisory_ranges(_advisory("GHSA-6x2m-w449-qwx7")) == {
        "introduced": "1.19.0", "fixed": {"1.19": "1.19.6", "1.20": "1.20.7", "1.21": "1.21.6", "1.22": "1.22.3"},
        "last_affected": {}, "mainline_fix": "1.23.2"}


def test_reader_canonical_io_uring_record_names_only_the_mainline_fix():
    assert UPDATE.ranges(_record("CVE-2022-2602"), "kernel") == {
        "introduced": "0", "fixed": {}, "last_affected": {}, "mainline_fix": "6.1~rc1"}
    for cve_id in ("CVE-2022-29582", "CVE-2023-2598", "CVE-2018-15664", "CVE-2022-0811"):
        assert UPDATE.ranges(_record(cve_id), "cri-o" if cve_id == "CVE-2022-0811" else "kernel") is None


def test_cves_left_out_say_why_and_are_not_rows():
    ids = {r["id"] for r in ROWS}
    for left in cves.raw_data()["left_out"]:
        assert left["id"] not in ids and left["component"] in cves.COMPONENTS and len(left["reason"]) > 30
