"""The nightly job runs as root: it must run only the installed program, from /, into a root-only report dir."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from hostaudit import schedule
from tests.lab import run_hostaudit
from tests.unit.conftest import recorded_program

PROGRAM = schedule.installed_program(sys.executable, "hostaudit")


def test_the_job_runs_the_installed_script_by_absolute_path_from_root():
    line = schedule.Nightly(program=PROGRAM).command()
    assert line.startswith("umask 077; cd / && ") and f"{PROGRAM} audit " in line
    assert "-m hostaudit" not in line and "cd /var/lib/hostaudit" not in line
    assert "%" not in line and "'" not in line  # cron cuts at %, the systemd unit quotes with '
    assert os.path.isabs(PROGRAM) and os.access(PROGRAM, os.X_OK)


def test_a_planted_module_in_the_report_dir_is_never_imported(tmp_path):
    """The old job did `cd REPORT_DIR && python -m hostaudit`: a hostaudit/ package planted there ran as root."""
    reports = tmp_path / "reports"
    (reports / "hostaudit").mkdir(parents=True)
    reports.chmod(0o700)
    marker = tmp_path / "pwned"
    for name in ("__init__.py", "__main__.py"):
        (reports / "hostaudit" / name).write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    nightly = schedule.Nightly(program=recorded_program(tmp_path), report_dir=str(reports))
    subprocess.run(["/bin/sh", "-c", nightly.command()], timeout=60, capture_output=True)
    assert not marker.exists()
    assert (reports / "report.json").exists()


@pytest.mark.parametrize("mode", [0o770, 0o707, 0o755])
def test_the_job_refuses_a_report_dir_others_can_write_or_read(tmp_path, mode):
    reports = tmp_path / "reports"
    reports.mkdir()
    reports.chmod(mode)
    nightly = schedule.Nightly(program=PROGRAM, report_dir=str(reports))
    done = subprocess.run(["/bin/sh", "-c", nightly.command()], timeout=60, capture_output=True, text=True)
    assert done.returncode == 2 and "must be owned by root with mode 0700" in done.stderr
    assert not (reports / "report.json").exists()


def test_the_job_refuses_a_report_dir_root_does_not_own(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir(mode=0o700)
    os.chown(reports, 65534, 65534)
    nightly = schedule.Nightly(program=PROGRAM, report_dir=str(reports))
    done = subprocess.run(["/bin/sh", "-c", nightly.command()], timeout=60, capture_output=True, text=True)
    assert done.returncode == 2 and not (reports / "report.json").exists()


@pytest.mark.parametrize("args", [["--report-dir", "/var/lib/hostaudit\n"], ["--at", "03:17\n"],
                                  ["--prometheus", "/x.prom\n* * * * * root id"], ["--report-dir", "/a\n/b"]])
def test_values_with_newlines_are_refused(args):
    done = run_hostaudit("install-cron", "--dry-run", *args, check_codes=(2,))
    assert "Traceback" not in done.stderr and done.stderr.startswith("hostaudit: ")


@pytest.mark.parametrize("mode", [0o777, 0o775])
def test_install_refuses_a_writable_report_dir(tmp_path, mode):
    reports = tmp_path / "reports"
    reports.mkdir()
    reports.chmod(mode)
    target = tmp_path / "cron"
    done = run_hostaudit("install-cron", "--path", str(target), "--report-dir", str(reports), check_codes=(2,))
    assert "writable by group or others" in done.stderr and not target.exists()


def test_install_creates_the_report_dir_root_owned_0700(tmp_path):
    reports = tmp_path / "new" / "reports"
    run_hostaudit("install-cron", "--path", str(tmp_path / "cron"), "--report-dir", str(reports), check_codes=(0,))
    info = reports.stat()
    assert info.st_uid == 0 and info.st_mode & 0o777 == 0o700
