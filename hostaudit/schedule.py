"""The nightly audit as a cron.d entry or a systemd service and timer (text only; the CLI writes or prints it).

Each night the previous report is kept as `previous.json` and used as the baseline of the new `report.json`, so the
report marks what is new and what was resolved since the night before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

CRON_FILE = "/etc/cron.d/hostaudit"
REPORT_DIR = "/var/lib/hostaudit"
# paths go into a shell line and a unit file unquoted: allow only characters neither of them interprets
_PLAIN_PATH = re.compile(r"^/[A-Za-z0-9_./+-]*$")
_TIME = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")


@dataclass(frozen=True)
class Nightly:
    """What the nightly run does: where it keeps reports, what it runs, when."""

    python: str  # the interpreter hostaudit is installed for
    report_dir: str = REPORT_DIR
    at: str = "03:17"  # HH:MM, local time
    prometheus: str | None = None  # node_exporter textfile to write beside the report

    def __post_init__(self) -> None:
        for label, path in (("interpreter", self.python), ("report directory", self.report_dir),
                            ("--prometheus", self.prometheus)):
            if path is not None and (not _PLAIN_PATH.match(path) or ".." in PurePosixPath(path).parts):
                raise ValueError(f"{label} {path!r}: use an absolute path of letters, digits and _ . / + -")
        if not _TIME.match(self.at):
            raise ValueError(f"--at {self.at!r}: use HH:MM (24-hour)")

    @property
    def hour_minute(self) -> tuple[int, int]:
        hour, minute = self.at.split(":")
        return int(hour), int(minute)

    def command(self) -> str:
        """One /bin/sh line: keep last night's report as the baseline, then audit into report.json (0600)."""
        audit = (f"{self.python} -m hostaudit audit --format json --output report.json"
                 " $(test -f previous.json && echo --baseline previous.json)")
        if self.prometheus:
            audit += f" --prometheus {self.prometheus}"
        return (f"umask 077; mkdir -p {self.report_dir} && cd {self.report_dir} && "
                f"{{ test -f report.json && mv -f report.json previous.json; {audit}; }}")


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
               f"[Service]\nType=oneshot\nExecStart=/bin/sh -c '{command}'\n"
               "Nice=10\nIOSchedulingClass=idle\n")
    timer = ("[Unit]\nDescription=Run hostaudit every night\n\n"
             f"[Timer]\nOnCalendar=*-*-* {nightly.at}:00\nPersistent=true\nRandomizedDelaySec=10min\n\n"
             "[Install]\nWantedBy=timers.target\n")
    return {"hostaudit.service": service, "hostaudit.timer": timer}
