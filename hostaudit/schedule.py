"""The nightly audit as a cron.d entry or a systemd service and timer (text only; the CLI writes or prints it).

Each night the previous report is kept as `previous.json` and used as the baseline of the new `report.json`, so the
report marks what is new and what was resolved since the night before. The job runs as root, so nothing it runs or
imports may come from a place another user can write: it calls the installed console script by its absolute path
from `/`, and it refuses a report directory that is not root's own with mode 0700.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

CRON_FILE = "/etc/cron.d/hostaudit"
REPORT_DIR = "/var/lib/hostaudit"
# paths go into a shell line and a unit file unquoted: allow only characters neither of them interprets
PLAIN_PATH = re.compile(r"/[A-Za-z0-9_./+-]*")
_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")


def installed_program(executable: str, argv0: str) -> str:
    """The absolute path of the `hostaudit` console script of this installation: the one being run, else the one
    beside the interpreter. ValueError when there is none (say, run as `python -m hostaudit` from a checkout)."""
    for candidate in (Path(argv0), Path(executable).parent / "hostaudit"):
        if candidate.name == "hostaudit" and candidate.is_file():
            return str(candidate.absolute())
    raise ValueError("no installed 'hostaudit' console script found beside the interpreter: install hostaudit "
                     "(scripts/setup.sh or pip install) and run install-cron through it")


def untrusted_reason(path: str, directory: bool) -> str | None:
    """Why root should not trust `path` (not root's, writable by group or others), or None; a missing path is
    fine for a directory the job will create."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None if directory else f"{path}: no such file"
    except OSError as exc:
        return f"{path}: {exc.strerror or exc}"
    if info.st_uid != 0:
        return f"{path}: owned by uid {info.st_uid}, not root"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"{path}: writable by group or others (mode {stat.S_IMODE(info.st_mode):04o})"
    if directory and not stat.S_ISDIR(info.st_mode):
        return f"{path}: not a directory"
    return None


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
