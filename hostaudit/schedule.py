"""The nightly audit as a cron.d entry or a systemd service and timer (text only; the CLI writes or prints it).

Each night the previous report is kept as `previous.json` and used as the baseline of the new `report.json`, so the
report marks what is new and what was resolved since the night before. The job runs as root, so nothing it runs or
imports may come from a place another user can write: it calls the installed console script by its absolute path
from `/`, and it refuses a report directory that is not root's own with mode 0700. Installing it is refused
unless root alone could change the script, its interpreter, the code they import and the report directory
(`job_code_doubt`, `report_dir_doubt`).
"""

from __future__ import annotations

import os
import re
import stat
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from hostaudit.trust import others_could_change, others_could_change_under, others_could_place

CRON_FILE = "/etc/cron.d/hostaudit"
REPORT_DIR = "/var/lib/hostaudit"
# paths go into a shell line and a unit file unquoted: allow only characters neither of them interprets
PLAIN_PATH = re.compile(r"/[A-Za-z0-9_./+-]*")
_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
INTERPRETER_LINE_MAX = 4096  # the kernel reads at most 256 bytes of a #! line
# the subpackages setup.py maps from the checkout's top-level folders, outside hostaudit/ in an editable install;
# hostaudit.ansible is not among them: an editable install cannot import it, and the job never reads the role
PACKAGES = ("hostaudit.checks", "hostaudit.reports")


def installed_program(executable: str, argv0: str) -> str:
    """The absolute path of the `hostaudit` console script of this installation: the one being run, else the one
    beside the interpreter. ValueError when there is none (say, run as `python -m hostaudit` from a checkout)."""
    for candidate in (Path(argv0), Path(executable).parent / "hostaudit"):
        if candidate.name == "hostaudit" and candidate.is_file():
            return str(candidate.absolute())
    raise ValueError("no installed 'hostaudit' console script found beside the interpreter: install hostaudit "
                     "(scripts/setup.sh or pip install) and run install-cron through it")


def interpreter(program: str) -> str:
    """The interpreter the `#!` line of `program` names (its first INTERPRETER_LINE_MAX bytes are read); ValueError
    when there is none."""
    with open(program, "rb") as script:
        head = script.read(INTERPRETER_LINE_MAX)
    line, newline, _ = head.partition(b"\n")
    words = line[2:].split() if line.startswith(b"#!") and newline else []
    if not words:
        raise ValueError(f"{program} has no #! interpreter line (within its first {INTERPRETER_LINE_MAX} bytes)")
    return os.fsdecode(words[0])


def _same_interpreter(named: str, executable: str) -> bool:
    """Whether `named` starts the Python that `executable` is: the same file, and beside the same pyvenv.cfg (a
    virtual environment is found from the directory of the path the interpreter was started by)."""
    try:
        return (os.path.dirname(os.path.abspath(named)) == os.path.dirname(os.path.abspath(executable))
                and os.path.samefile(named, executable))
    except OSError:
        return False


def import_folders(program: str) -> list[str]:
    """Where the job's Python imports from, as this (the same) interpreter sees it: the directory of the script
    (after its links: the job's sys.path[0]), this process's sys.path, and the folders of hostaudit's packages (an
    editable install maps them to a checkout that sys.path does not name)."""
    import importlib.util

    import hostaudit

    folders = [os.path.dirname(os.path.realpath(program)), *(p for p in sys.path if os.path.isabs(p)),
               *hostaudit.__path__]
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)  # locates the package without running it
        folders += list(spec.submodule_search_locations or ()) if spec else []
    return folders


def job_code_doubt(program: str, executable: str = sys.executable) -> str | None:
    """Why a root job running the console script `program` could run code a user other than root can change
    (`trust.others_could_change`), or None: the script, the interpreter its #! line names, and every file and
    directory under the folders that interpreter imports from (`import_folders`). That interpreter must be
    `executable`, the one running this: asking another would run its site-packages' .pth files, as root, before
    they were judged."""
    doubt = others_could_change(program, final=stat.S_ISREG, kind="regular file")
    if doubt is not None:
        return doubt
    try:
        named = interpreter(program)
    except ValueError as exc:
        return str(exc)
    except OSError as exc:
        return f"{program}: {exc.strerror or exc}"
    doubt = others_could_change(named, final=stat.S_ISREG, kind="regular file")
    if doubt is not None:
        return f"the interpreter of {program}: {doubt}"
    if not _same_interpreter(named, executable):
        return (f"{program} is run by {named}, not by the Python running this command ({executable}): run the "
                f"command through {program}")
    doubt = others_could_change_under(import_folders(program))
    return None if doubt is None else f"code the job imports: {doubt}"


def report_dir_doubt(report_dir: str) -> str | None:
    """Why a user other than root could change the report directory, or create it first; a missing one is fine
    where only root could create it (the job makes it root's, 0700)."""
    return others_could_place(report_dir, final=stat.S_ISDIR, kind="directory")


@dataclass(frozen=True)
class Nightly:
    """What the nightly run does: where it keeps reports, what it runs, when."""

    program: str  # the installed `hostaudit` console script, by absolute path
    report_dir: str = REPORT_DIR
    at: str = "03:17"  # HH:MM, local time
    prometheus: str | None = None  # node_exporter textfile to write beside the report

    def __post_init__(self) -> None:
        for label, path in (("program", self.program), ("report directory", self.report_dir),
                            ("--prometheus", self.prometheus)):
            if path is not None and (not PLAIN_PATH.fullmatch(path) or ".." in PurePosixPath(path).parts):
                raise ValueError(f"{label} {path!r}: use an absolute path of letters, digits and _ . / + -")
        if not _TIME.fullmatch(self.at):
            raise ValueError(f"--at {self.at!r}: use HH:MM (24-hour)")

    @property
    def hour_minute(self) -> tuple[int, int]:
        hour, minute = self.at.split(":")
        return int(hour), int(minute)

    def command(self) -> str:
        """One /bin/sh line run from `/`: check the report dir is root's with mode 0700 (creating it so), keep last
        night's report as the baseline, then audit into report.json (0600)."""
        directory = self.report_dir.rstrip("/") or "/"
        report, previous = f"{directory}/report.json", f"{directory}/previous.json"
        audit = (f"{self.program} audit --format json --output {report}"
                 f" $(test -f {previous} && echo --baseline {previous})")
        if self.prometheus:
            audit += f" --prometheus {self.prometheus}"
        # no `%` (cron would cut the line there) and no single quote (the systemd unit quotes the line with them)
        return (f"umask 077; cd / && if mkdir -p -m 0700 {directory} && "
                f"[ -n \"$(find {directory} -maxdepth 0 -user root -perm 0700)\" ]; then "
                f"{{ test -f {report} && mv -f {report} {previous}; {audit}; }}; "
                f"else echo \"hostaudit: {directory} must be owned by root with mode 0700\" >&2; exit 2; fi")


def cron_file(nightly: Nightly) -> str:
    hour, minute = nightly.hour_minute
    return ("# hostaudit: nightly container-escape audit, written by 'hostaudit install-cron'\n"
            "SHELL=/bin/sh\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
            f"{minute} {hour} * * * root {nightly.command()}\n")


def systemd_units(nightly: Nightly) -> dict[str, str]:
    """`hostaudit.service` and `hostaudit.timer`, by file name."""
    # systemd expands $ and % itself: double them so /bin/sh receives the line unchanged
    command = nightly.command().replace("%", "%%").replace("$", "$$")
    service = ("[Unit]\nDescription=hostaudit nightly container-escape audit\n"
               "After=docker.service containerd.service\n\n"
               f"[Service]\nType=oneshot\nWorkingDirectory=/\nExecStart=/bin/sh -c '{command}'\n"
               "Nice=10\nIOSchedulingClass=idle\n")
    timer = ("[Unit]\nDescription=Run hostaudit every night\n\n"
             f"[Timer]\nOnCalendar=*-*-* {nightly.at}:00\nPersistent=true\nRandomizedDelaySec=10min\n\n"
             "[Install]\nWantedBy=timers.target\n")
    return {"hostaudit.service": service, "hostaudit.timer": timer}
