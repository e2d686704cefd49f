"""The systemd unit that runs `hostaudit watch` as a service (text only; the CLI writes or prints it).

The watch runs as root (it reads every container's /proc and the engines' root sockets) but only reads: the unit
makes the whole file system read-only to it except the directories of its output and Prometheus files, and keeps
only the capabilities that reading other users' /proc and root-only files needs. ExecStart names the installed
console script by its absolute path; every path and URL in the unit is plain text systemd and the shell do not
interpret.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from hostaudit.schedule import PLAIN_PATH
from hostaudit.severity import Severity

UNIT_FILE = "/etc/systemd/system/hostaudit-watch.service"
LOG_DIR = "/var/log/hostaudit"
_PLAIN_URL = re.compile(r"(unix://)?/[A-Za-z0-9_./+-]*|tcp://[A-Za-z0-9_.-]+:[0-9]{1,5}")
# reading another user's /proc/<pid>/{ns,environ,mountinfo} needs CAP_SYS_PTRACE (ptrace read access); root-only
# files and sockets need the DAC ones; nothing else is kept
CAPABILITIES = "CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_SYS_PTRACE"


@dataclass(frozen=True)
class WatchService:
    """What the service runs: the installed program and the watch's options."""

    program: str
    output: str = f"{LOG_DIR}/watch.jsonl"
    prometheus: str | None = None
    fail_on: str | None = None
    host_every: float = 600.0
    docker_host: str | None = None

    def __post_init__(self) -> None:
        for label, path in (("program", self.program), ("--output", self.output), ("--prometheus", self.prometheus)):
            if path is not None and (not PLAIN_PATH.fullmatch(path) or ".." in PurePosixPath(path).parts):
                raise ValueError(f"{label} {path!r}: use an absolute path of letters, digits and _ . / + -")
        if self.docker_host is not None and not _PLAIN_URL.fullmatch(self.docker_host):
            raise ValueError(f"--docker-host {self.docker_host!r}: use unix:///path or tcp://host:port")
        if self.fail_on is not None:
            Severity(self.fail_on)  # ValueError for an unknown severity

    def command(self) -> str:
        words = [self.program, "watch", "--output", self.output, "--host-every", f"{self.host_every:g}"]
        for flag, value in (("--prometheus", self.prometheus), ("--fail-on", self.fail_on),
                            ("--docker-host", self.docker_host)):
            if value is not None:
                words += [flag, value]
        return " ".join(words)

    def writable(self) -> list[str]:
        """The directories the service may write: those of its output and Prometheus files."""
        return sorted({str(PurePosixPath(p).parent) for p in (self.output, self.prometheus) if p is not None})


def unit(service: WatchService) -> str:
    """The text of hostaudit-watch.service."""
    logs = [d for d in service.writable() if d == LOG_DIR]
    others = [d for d in service.writable() if d != LOG_DIR]
    return "\n".join([
        "[Unit]",
        "Description=hostaudit watch: judge each container as its engine starts or changes it",
        "After=docker.service containerd.service",
        "",
        "[Service]",
        "Type=simple",
        f"ExecStart={service.command()}",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "Restart=on-failure",
        "RestartSec=5s",
        "WorkingDirectory=/",
        "UMask=0077",
        *(["LogsDirectory=hostaudit", "LogsDirectoryMode=0700"] if logs else []),
        *([f"ReadWritePaths={' '.join('-' + d for d in others)}"] if others else []),  # "-": may not exist yet
        "ProtectSystem=strict",
        "ProtectHome=read-only",
        "PrivateTmp=yes",
        "PrivateDevices=yes",
        "ProtectKernelTunables=yes",
        "ProtectKernelModules=yes",
        "ProtectKernelLogs=yes",
        "ProtectControlGroups=yes",
        "ProtectClock=yes",
        "ProtectHostname=yes",
        "NoNewPrivileges=yes",
        f"CapabilityBoundingSet={CAPABILITIES}",
        "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK",
        "RestrictNamespaces=yes",
        "RestrictRealtime=yes",
        "RestrictSUIDSGID=yes",
        "LockPersonality=yes",
        "SystemCallArchitectures=native",
        "Nice=5",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ])
