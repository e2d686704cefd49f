"""Report options of `hostaudit audit` over the recorded lab snapshot (offline): every format, file modes,
--baseline / --fail-on-new, --prometheus, and `install-cron`."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import stat
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hostaudit import schedule
from tests.lab import run_hostaudit
from tests.unit.conftest import SNAPSHOTS, recorded_program, run_installed

FACTS = str(SNAPSHOTS / "lab" / "planted.json")


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def audit(*args: str, codes: tuple[int, ...] = (0, 1)) -> subprocess.CompletedProcess:
    return run_hostaudit("audit", "--facts", FACTS, *args, check_codes=codes)


@pytest.mark.parametrize("fmt", ["json", "html", "sarif", "junit", "csv", "prometheus", "text"])
def test_every_format_is_written_0600_even_over_a_world_readable_file(tmp_path, fmt):
    out = tmp_path / f"report.{fmt}"
    out.write_text("old")
    out.chmod(0o644)
    audit("--format", fmt, "--output", str(out))
    assert mode(out) == 0o600
    text = out.read_text(encoding="utf-8")
    parse = {"json": json.loads, "sarif": json.loads, "junit": lambda t: ET.fromstring(t.encode()),
             "csv": lambda t: list(csv.reader(io.StringIO(t, newline=""))),
             "html": lambda t: t.index("can escape to the host"), "prometheus": lambda t: t.index("hostaudit_findings"),
             "text": lambda t: t.index("can escape to the host")}
    assert parse[fmt](text)


def test_prometheus_file_beside_the_report(tmp_path):
    prom = tmp_path / "hostaudit.prom"
    done = audit("--format", "json", "--prometheus", str(prom))
    assert mode(prom) == 0o644  # counts only; node_exporter runs as its own user
    report = json.loads(done.stdout)
    assert report["duration_s"] is not None and report["duration_s"] >= 0
    text = prom.read_text()
    assert "hostaudit_audit_duration_seconds" in text
    assert f'hostaudit_findings{{severity="critical"}} {report["summary"]["failing_by_severity"]["critical"]}' in text
    if shutil.which("promtool"):
        check = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_help_and_readme_state_the_mode_the_prometheus_file_gets(tmp_path):
    """The mode `--help` and the README give the textfile is the one the kernel reports for the written file."""
    prom = tmp_path / "hostaudit.prom"
    audit("--prometheus", str(prom))
    written = f"{mode(prom):04o}"
    helped = " ".join(run_hostaudit("audit", "--help").stdout.split())
    assert re.search(r"--prometheus PATH Also write a node_exporter textfile here \(mode (\d+)", helped)[1] == written
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    stated = re.findall(r"`--prometheus FILE` \| also write a node_exporter textfile, mode (\d+)"
                        r"|--prometheus` textfile is the one exception:[^.]*?written (\d+)", " ".join(readme.split()))
    assert sorted(m for pair in stated for m in pair if m) == [written, written]


def test_baseline_marks_new_failures_and_fail_on_new(tmp_path):
    previous = json.loads(audit("--format", "json").stdout)
    same = tmp_path / "same.json"
    same.write_text(json.dumps(previous))
    again = audit("--format", "json", "--baseline", str(same), "--fail-on-new", "info", codes=(0,))
    assert {f["baseline"] for f in json.loads(again.stdout)["findings"] if f["status"] == "fail"} == {"unchanged"}
    # drop one critical failure from the baseline: now it is new, and --fail-on-new critical trips
    dropped = next(f for f in previous["findings"] if f["status"] == "fail"
                   and previous["checks"][f["check_id"]]["severity"] == "critical")
    previous["findings"].remove(dropped)
    older = tmp_path / "older.json"
    older.write_text(json.dumps(previous))
    done = audit("--format", "json", "--baseline", str(older), "--fail-on-new", "critical", codes=(1,))
    new = [f for f in json.loads(done.stdout)["findings"] if f.get("baseline") == "new"]
    assert [(f["check_id"], f["subject"]) for f in new] == [(dropped["check_id"], dropped["subject"])]


def test_baseline_mistakes_are_usage_errors(tmp_path):
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    for args in (["--fail-on-new", "high"], ["--baseline", str(tmp_path / "missing.json")],
                 ["--baseline", str(garbage)], ["--baseline", FACTS]):
        done = audit(*args, codes=(2,))
        assert "Traceback" not in done.stderr and done.stderr.startswith("hostaudit: ")


def test_install_cron_dry_run_writes_nothing(root_installation, tmp_path):
    target = tmp_path / "cron.d" / "hostaudit"
    done = run_installed(root_installation, "install-cron", "--dry-run", "--path", str(target), "--at", "02:05")
    assert not target.exists()
    line = [x for x in done.stdout.splitlines() if x.startswith("5 2 * * * root ")]
    assert len(line) == 1 and "--baseline /var/lib/hostaudit/previous.json" in line[0]


def test_install_cron_writes_a_0600_cron_file(root_installation, root_tmp_path):
    target = root_tmp_path / "hostaudit"
    run_installed(root_installation, "install-cron", "--path", str(target), "--prometheus",
                  "/var/lib/node/hostaudit.prom", "--report-dir", str(root_tmp_path / "reports"))
    assert mode(target) == 0o600
    entries = [x for x in target.read_text().splitlines() if x and not x.startswith("#") and "=" not in x[:12]]
    assert len(entries) == 1 and entries[0].startswith("17 3 * * * root ")
    assert "--prometheus /var/lib/node/hostaudit.prom" in entries[0]


def test_install_cron_systemd_units_and_bad_values(root_installation):
    units = run_installed(root_installation, "install-cron", "--systemd").stdout
    assert "OnCalendar=*-*-* 03:17:00" in units and "$$(test -f /var/lib/hostaudit/previous.json" in units
    for args in (["--at", "25:00"], ["--report-dir", "relative/dir"], ["--report-dir", "/tmp/a b;rm"]):
        done = run_hostaudit("install-cron", "--dry-run", *args, check_codes=(2,))
        assert "Traceback" not in done.stderr


def test_nightly_command_keeps_the_previous_report_as_baseline(tmp_path):
    """The cron line itself, run twice by /bin/sh: the second report is compared with the first."""
    nightly = schedule.Nightly(program=recorded_program(tmp_path), report_dir=str(tmp_path / "reports"))
    for _ in range(2):
        subprocess.run(["/bin/sh", "-c", nightly.command()], check=True, timeout=60, capture_output=True)
    reports = tmp_path / "reports"
    assert mode(reports / "report.json") == 0o600 and (reports / "previous.json").exists()
    first, second = (json.loads((reports / name).read_text()) for name in ("previous.json", "report.json"))
    assert first["collected_at"] <= second["collected_at"]
    failing = [f for f in second["findings"] if f["status"] == "fail"]
    assert failing and all(f["baseline"] in ("new", "unchanged") for f in failing)
    assert not [f for f in first["findings"] if "baseline" in f]
