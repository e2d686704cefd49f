"""`hostaudit audit --waivers` as a user runs it, over the recorded lab snapshot."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.unit.conftest import SNAPSHOTS

FACTS = str(SNAPSHOTS / "lab" / "planted.json")
ONLY = ("--check", "container.privileged", "--fail-on", "critical")


def hostaudit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["hostaudit", "audit", "--facts", FACTS, *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def waiver_file(path: Path, expires: str, check: str = "container.privileged") -> Path:
    path.write_text(f'[[waiver]]\ncheck = "{check}"\nsubject = "priv"\nreason = "lab fixture"\n'
                    f"expires = {expires}\n")
    return path


def test_waiver_changes_the_exit_code_and_stays_visible(tmp_path):
    assert hostaudit(*ONLY).returncode == 1
    done = hostaudit(*ONLY, "--format", "json", "--waivers", str(waiver_file(tmp_path / "w.toml", "2999-01-01")))
    assert done.returncode == 0, done.stderr
    (waived,) = [f for f in json.loads(done.stdout)["findings"] if f["status"] == "fail"]
    assert (waived["check_id"], waived["subject"]["key"]) == ("container.privileged", "docker:priv")
    assert waived["waiver"] == "lab fixture"


def test_expired_waiver_fails_and_says_so_in_text(tmp_path):
    done = hostaudit(*ONLY, "--waivers", str(waiver_file(tmp_path / "w.toml", "2000-01-01")))
    assert done.returncode == 1
    assert "expired waiver: container.privileged on priv" in done.stdout


def test_hostaudit_toml_in_the_current_directory_is_the_default(tmp_path):
    waiver_file(tmp_path / "hostaudit.toml", "2999-01-01")
    assert hostaudit(*ONLY, cwd=tmp_path).returncode == 0


def test_unknown_check_id_is_a_usage_error(tmp_path):
    done = hostaudit(*ONLY, "--waivers", str(waiver_file(tmp_path / "w.toml", "2999-01-01", "container.nope")))
    assert done.returncode == 2
    assert "unknown check id 'container.nope'" in done.stderr
    assert "Traceback" not in done.stderr
