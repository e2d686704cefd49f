"""`hostaudit audit --waivers` as a user runs it, over the recorded lab snapshot; and only a waiver file that root
alone controls is read (the kernel's own answers decide who could write it: a real unprivileged account writes the
hostile ones)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile_user import hostile_user
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


@pytest.fixture
def trusted() -> Iterator[Path]:
    """A directory that root alone can write, all the way up (pytest's tmp_path is under /tmp, mode 1777)."""
    path = Path(tempfile.mkdtemp(prefix=".hostaudit-waivers-", dir=Path.home()))
    yield path
    shutil.rmtree(path)


@pytest.fixture
def sticky() -> Iterator[Path]:
    """A 1777 directory (as /tmp) that any user can reach and create files in."""
    path = Path(tempfile.mkdtemp(prefix="hostaudit-sticky-", dir="/tmp"))
    path.chmod(0o1777)
    yield path
    shutil.rmtree(path)


def test_waiver_changes_the_exit_code_and_stays_visible(trusted):
    assert hostaudit(*ONLY).returncode == 1
    done = hostaudit(*ONLY, "--format", "json", "--waivers", str(waiver_file(trusted / "w.toml", "2999-01-01")))
    assert done.returncode == 0, done.stderr
    (waived,) = [f for f in json.loads(done.stdout)["findings"] if f["status"] == "fail"]
    assert (waived["check_id"], waived["subject"]["key"]) == ("container.privileged", "docker:priv")
    assert waived["waiver"] == "lab fixture"


def test_expired_waiver_fails_and_says_so_in_text(trusted):
    done = hostaudit(*ONLY, "--waivers", str(waiver_file(trusted / "w.toml", "2000-01-01")))
    assert done.returncode == 1
    assert "expired waiver: container.privileged on priv" in done.stdout


def test_hostaudit_toml_in_the_current_directory_is_the_default(trusted):
    waiver_file(trusted / "hostaudit.toml", "2999-01-01")
    assert hostaudit(*ONLY, cwd=trusted).returncode == 0


def test_unknown_check_id_is_a_usage_error(trusted):
    done = hostaudit(*ONLY, "--waivers", str(waiver_file(trusted / "w.toml", "2999-01-01", "container.nope")))
    assert done.returncode == 2
    assert "unknown check id 'container.nope'" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_users_hostaudit_toml_in_a_sticky_directory_waives_nothing(sticky, trusted):
    """The issue's attack: a user leaves hostaudit.toml in a 1777 directory where root runs the audit. It was read
    and waived the failure (exit 0); now it is refused with a note on stderr and in the report, and the audit goes on
    without it (exit 1)."""
    with hostile_user() as user:
        own = user.write("hostaudit.toml", waiver_file(trusted / "w.toml", "2999-01-01").read_text())
        copied = user.run(["cp", str(own), str(sticky / "hostaudit.toml")])
        assert copied.returncode == 0 and os.stat(sticky / "hostaudit.toml").st_uid == user.uid, copied.stderr
        done = hostaudit(*ONLY, "--format", "json", cwd=sticky)
    assert done.returncode == 1, done.stderr
    assert [f.get("waiver") for f in json.loads(done.stdout)["findings"] if f["status"] == "fail"] == [None]
    (line,) = done.stderr.splitlines()
    assert line.startswith("hostaudit: waiver file hostaudit.toml refused") and "writable by others" in line
    assert any("hostaudit.toml refused" in note for note in json.loads(done.stdout)["notes"])


def test_roots_own_file_in_a_sticky_directory_is_refused_too(sticky):
    """Whoever owns the file, a user who can create entries in its directory could have put it there."""
    waiver_file(sticky / "hostaudit.toml", "2999-01-01")
    done = hostaudit(*ONLY, cwd=sticky)
    assert done.returncode == 1 and "writable by others (mode 1777)" in done.stderr, done.stderr


@pytest.mark.parametrize("hostile", ["own", "group", "link"])
def test_an_explicit_untrusted_waiver_file_is_exit_2_in_one_line(trusted, sticky, hostile):
    """--waivers FILE is what the sysadmin asked for: refusing it is a usage error, not a silent audit without it.
    The file given to another uid; group-writable; or reached through a symlink that a user can replace."""
    path = waiver_file(trusted / "w.toml", "2999-01-01")
    given = path
    with hostile_user() as user:
        if hostile == "own":
            user.own(path)
        elif hostile == "group":
            path.chmod(0o664)
        else:
            (sticky / "link").symlink_to(trusted)
            given = sticky / "link" / "w.toml"
        done = hostaudit(*ONLY, "--waivers", str(given))
    assert done.returncode == 2 and done.stdout == "", done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"hostaudit: waiver file {given} refused:"), line


def test_a_symlink_in_roots_directory_to_roots_file_is_followed(trusted):
    waiver_file(trusted / "w.toml", "2999-01-01")
    (trusted / "link.toml").symlink_to(trusted / "w.toml")
    assert hostaudit(*ONLY, "--waivers", str(trusted / "link.toml")).returncode == 0
