"""The nightly job runs as root: it must run only the installed program, from /, into a root-only report dir."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hostaudit import schedule
from tests.lab import run_hostaudit
from tests.unit.conftest import recorded_program, root_only_folder, run_installed

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
def test_install_refuses_a_writable_report_dir(root_installation, root_tmp_path, mode):
    reports = root_tmp_path / "reports"
    reports.mkdir()
    reports.chmod(mode)
    target = root_tmp_path / "cron"
    done = run_installed(root_installation, "install-cron", "--path", str(target), "--report-dir", str(reports),
                         codes=(2,))
    assert f"{reports} is writable by " in done.stderr and not target.exists()


def test_install_creates_the_report_dir_root_owned_0700(root_installation, root_tmp_path):
    reports = root_tmp_path / "new" / "reports"
    run_installed(root_installation, "install-cron", "--path", str(root_tmp_path / "cron"), "--report-dir",
                  str(reports))
    info = reports.stat()
    assert info.st_uid == 0 and info.st_mode & 0o777 == 0o700


# What a root job runs: only what root alone could change (README, "Scheduled runs"). The installation under test
# is a real one (pip, from a wheel of this checkout) in a root-only directory; each refusal below is one file or
# directory of it handed to another uid or opened to others, as the kernel's permission checks read them.
REFUSALS = {"install-cron": "refusing to schedule a root job: ",
            "install-watch": "refusing to install a root service: "}
OTHER_UID = 2201  # no account needed: only the owner recorded in the inode matters


def refusal(*argv: str | Path, command: str = "install-cron", options: tuple[str, ...] = ()) -> str:
    """The one line a refused install prints, after its fixed prefix (exit 2, nothing written)."""
    done = run_installed(*argv, command, "--dry-run", *options, codes=(2,))
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith(f"hostaudit: {REFUSALS[command]}"), done.stderr
    return done.stderr


def copied_installation(program: Path, folder: Path) -> Path:
    """A copy, in `folder`, of the virtual environment `program` was installed in, its #! line naming the copy's
    own python: an installation whose files a test may hand to another user."""
    venv = folder / "venv"
    shutil.copytree(program.parents[1], venv, symlinks=True)
    script = venv / "bin" / program.name
    first, rest = script.read_text().split("\n", 1)
    script.write_text(f"#!{venv / 'bin' / Path(first[2:].strip()).name}\n{rest}")
    return script


@pytest.mark.parametrize("command", REFUSALS)
def test_a_clean_root_only_installation_is_accepted(root_installation, command):
    done = run_installed(root_installation, command, "--dry-run")
    assert f"{root_installation} " in done.stdout and not done.stderr


@pytest.mark.parametrize("command", REFUSALS)
@pytest.mark.parametrize(("owner", "mode"), [(0, 0o777), (OTHER_UID, 0o755)])
def test_a_script_in_a_directory_another_user_could_write_is_refused(root_installation, root_tmp_path, command,
                                                                      owner, mode):
    """The script itself is root's and 0755, but whoever can write its directory can rename another over it."""
    folder = root_tmp_path / "bin"
    folder.mkdir()
    script = folder / "hostaudit"
    shutil.copy2(root_installation, script)
    os.chown(folder, owner, owner)
    folder.chmod(mode)
    stderr = refusal(script, command=command)
    assert f"{folder} is {'writable by others' if owner == 0 else f'owned by uid {OTHER_UID}'}" in stderr


@pytest.mark.parametrize("change", ["group-writable", "other owner"])
def test_a_module_of_the_installed_package_another_user_could_change_is_refused(root_installation, root_tmp_path,
                                                                                 change):
    program = copied_installation(root_installation, root_tmp_path)
    module = next(program.parents[1].glob("lib/python3*/site-packages/hostaudit/checks/container/privileged.py"))
    if change == "group-writable":
        module.chmod(0o664)
    else:
        os.chown(module, OTHER_UID, OTHER_UID)
    assert f"code the job imports: {module} is " in refusal(program)


@pytest.fixture(scope="module")
def editable_installation():
    """hostaudit installed by `pip install -e` from a copy of this checkout in a root-only directory: its
    checks/, reports/ and ansible/ are the copy's top-level folders, which no sys.path entry names."""
    folder = root_only_folder()
    checkout, source, venv = Path(__file__).resolve().parents[2], folder / "source", folder / "venv"
    for name in ("hostaudit", "checks", "reports", "ansible"):
        shutil.copytree(checkout / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(checkout / name, source / name)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)], check=True,
                   capture_output=True, timeout=120)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "-e", str(source)],
                   check=True, capture_output=True, timeout=300)
    yield venv / "bin" / "hostaudit", source
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize(("module", "change"), [("checks/container/privileged.py", "group-writable"),
                                                ("hostaudit/engine.py", "other owner")])
def test_a_module_of_an_editable_checkout_another_user_could_change_is_refused(editable_installation, module,
                                                                                change):
    program, source = editable_installation
    run_installed(program, "install-cron", "--dry-run")  # root's alone as installed
    path = source / module
    try:
        if change == "group-writable":
            path.chmod(0o664)
        else:
            os.chown(path, OTHER_UID, OTHER_UID)
        assert f"code the job imports: {path} is " in refusal(program)
    finally:
        os.chown(path, 0, 0)
        path.chmod(0o644)


def test_an_interpreter_linked_through_a_directory_another_user_owns_is_refused(root_installation, root_tmp_path):
    program = copied_installation(root_installation, root_tmp_path)
    named = Path(program.read_text().split("\n", 1)[0][2:])
    user_dir = root_tmp_path / "user"
    user_dir.mkdir()
    (user_dir / "python3").symlink_to(os.path.realpath(named))
    os.chown(user_dir, OTHER_UID, OTHER_UID)
    named.unlink()
    named.symlink_to(user_dir / "python3")
    assert run_installed(program, "--version").stdout  # the job would start: the link leads to a real python
    assert f"the interpreter of {program}: {user_dir} is owned by uid {OTHER_UID}" in refusal(program)


def test_a_pth_file_others_could_write_in_site_packages_is_refused(root_installation, root_tmp_path):
    program = copied_installation(root_installation, root_tmp_path)
    marker = root_tmp_path / "ran"
    pth = next(program.parents[1].glob("lib/python3*/site-packages")) / "zz-extra.pth"
    pth.write_text(f"import os; open({str(marker)!r}, 'w').close()\n")
    pth.chmod(0o666)
    assert f"code the job imports: {pth} is writable by others (mode 0666)" in refusal(program,
                                                                                        command="install-watch")
    assert marker.exists()  # the interpreter runs a .pth file's import lines at every start: the job's too


def test_a_script_without_interpreter_line_or_run_by_another_python_is_refused(root_installation, root_tmp_path):
    python = root_installation.parent / "python"
    script = root_tmp_path / "hostaudit"
    body = root_installation.read_text().split("\n", 1)[1]
    script.write_text(body)
    assert "has no #! interpreter line" in refusal(python, script)
    script.write_text(f"#!{sys.executable}\n{body}")
    assert f"{script} is run by {sys.executable}, not by the Python running this command" in refusal(python, script)


def test_a_missing_report_dir_another_user_could_create_is_refused(root_installation, root_tmp_path):
    parent = root_tmp_path / "user"
    parent.mkdir()
    os.chown(parent, OTHER_UID, OTHER_UID)
    stderr = refusal(root_installation, options=("--report-dir", str(parent / "reports" / "nightly")))
    assert f"{parent} is owned by uid {OTHER_UID}" in stderr
