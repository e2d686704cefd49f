"""`scripts/update_cves.py --discover` over a small vendored corpus (tests/data/discovery): real cvelistV5 records
(excerpts) and github/advisory-database advisories in their checkouts' layouts, judged against a triage file.

The oracle is each record's own text, read here by hand: CVE-2026-46300 (Fragnesia, net/core), the NVIDIA
Container Toolkit's CVE-2024-0132 and crun's CVE-2026-30892 (product "crun") are tracked and untriaged;
GHSA-j9hf-98c3-wrm8 is a CRI-O advisory no row names; CVE-2026-53098 is a Wi-Fi driver (drivers/net/wireless), not
reached from a container; CVE-2024-21626 and GHSA-2cgq-h8xw-2v5j are rows and CVE-2026-53001 is left out in the
triage file.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "update_cves.py"
CORPUS = ROOT / "tests" / "data" / "discovery"
TRIAGE = CORPUS / "triage.json"


def discover(*args: str, data: Path = TRIAGE) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--data", str(data), "--discover", *args],
                          capture_output=True, text=True, timeout=60)


def listed(result: subprocess.CompletedProcess) -> dict[str, list[str]]:
    return {line.split("\t")[0]: line.split("\t") for line in result.stdout.splitlines()}


def test_discovery_lists_exactly_the_untriaged_tracked_records():
    result = discover(str(CORPUS / "cvelistV5"), "--advisories", str(CORPUS / "advisory-database"))
    assert result.returncode == 0, result.stderr
    found = listed(result)
    assert set(found) == {"CVE-2026-46300", "CVE-2024-0132", "CVE-2026-30892", "GHSA-j9hf-98c3-wrm8"}
    assert found["CVE-2026-46300"] == ["CVE-2026-46300", "kernel", "2026-05-23",
                                       "net: skbuff: propagate shared-frag marker through frag-transfer helpers"]
    assert found["CVE-2024-0132"][1:3] == ["nvidia-toolkit", "2024-09-26"]
    assert found["GHSA-j9hf-98c3-wrm8"][1:3] == ["cri-o", "2024-06-27"]
    assert found["CVE-2026-30892"][1:3] == ["crun", "2026-03-25"]


def test_a_record_triaged_since_is_no_longer_listed(tmp_path):
    triage = json.loads(TRIAGE.read_text())
    triage["left_out"] += [{"id": "CVE-2026-46300", "component": "kernel", "reason": "test"},
                           {"id": "CVE-2026-30892", "component": "crun", "reason": "test"}]
    triage["cves"].append({"id": "CVE-2024-5154", "component": "cri-o"})  # the advisory's alias
    data = tmp_path / "cves.json"
    data.write_text(json.dumps(triage))
    result = discover(str(CORPUS / "cvelistV5"), "--advisories", str(CORPUS / "advisory-database"), data=data)
    assert result.returncode == 0, result.stderr
    assert set(listed(result)) == {"CVE-2024-0132"}


def test_the_shipped_data_has_triaged_every_record_of_the_corpus_it_ships_rows_for():
    """The package's own cves.json: the corpus's runc, NVIDIA and CRI-O records are rows there, crun's left out."""
    result = subprocess.run([sys.executable, str(SCRIPT), "--discover", str(CORPUS / "cvelistV5"), "--advisories",
                             str(CORPUS / "advisory-database")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "CVE-2024-21626" not in result.stdout and "CVE-2024-0132" not in result.stdout
    assert "CVE-2026-53098" not in result.stdout and "CVE-2026-30892" not in result.stdout


@pytest.mark.parametrize("setup", ["missing", "advisories_as_cvelist", "not_json", "triage_not_json",
                                   "mark_without_discover"])
def test_bad_input_is_one_line_and_exit_2(tmp_path, setup):
    cvelist, data = tmp_path / "cvelist", TRIAGE
    if setup == "advisories_as_cvelist":
        cvelist = CORPUS / "advisory-database"
    elif setup == "not_json":
        (cvelist / "cves" / "2026" / "1xxx").mkdir(parents=True)
        (cvelist / "cves" / "2026" / "1xxx" / "CVE-2026-1000.json").write_text("{not json")
    elif setup == "triage_not_json":
        cvelist, data = CORPUS / "cvelistV5", tmp_path / "cves.json"
        data.write_text("[")
    if setup == "mark_without_discover":
        result = subprocess.run([sys.executable, str(SCRIPT), "--mark-reviewed"], capture_output=True, text=True,
                                timeout=60)
    else:
        result = discover(str(cvelist), data=data)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_reviewed_through_is_the_newest_vendored_record():
    """The data's date is the newest dateUpdated / modified among the records and advisories it was built from."""
    stamps = []
    for path in (ROOT / "tests" / "data" / "cve_records").glob("*.json"):
        stamps.append(json.loads(path.read_text())["cveMetadata"]["dateUpdated"][:10])
    for path in (ROOT / "tests" / "data" / "advisories").glob("*.json"):
        stamps.append(json.loads(path.read_text())["modified"][:10])
    data = json.loads((ROOT / "hostaudit" / "data" / "cves.json").read_text())
    assert data["reviewed_through"] >= max(stamps)  # later when a clean discovery run marked a newer checkout


def test_mark_reviewed_moves_the_date_to_the_newest_record_once_nothing_is_untriaged(tmp_path):
    """The corpus's newest record is the Wi-Fi driver's, updated 2026-09-14 (untracked records count too)."""
    data = tmp_path / "cves.json"
    triage = json.loads(TRIAGE.read_text()) | {"reviewed_through": "2026-01-01"}
    data.write_text(json.dumps(triage))
    corpus = (str(CORPUS / "cvelistV5"), "--advisories", str(CORPUS / "advisory-database"), "--mark-reviewed")
    result = discover(*corpus, data=data)
    assert result.returncode == 1 and json.loads(data.read_text())["reviewed_through"] == "2026-01-01"
    triage["left_out"] += [{"id": i, "component": "test", "reason": "test"}
                           for i in ("CVE-2026-46300", "CVE-2024-0132", "CVE-2026-30892", "GHSA-j9hf-98c3-wrm8")]
    data.write_text(json.dumps(triage))
    result = discover(*corpus, data=data)
    assert result.returncode == 0 and result.stdout == ""
    assert json.loads(data.read_text())["reviewed_through"] == "2026-09-14"
