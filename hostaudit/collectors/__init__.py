"""Collectors: each reads one source into frozen facts, or raises `CollectorError` / `CollectorSkipped`."""

from __future__ import annotations

import dataclasses
import os
import posixpath
import re
import stat
import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from hostaudit.collectors._fs import host_path, read_start, root_only
from hostaudit.model import UntrustedProcess


class CollectorError(Exception):
    """The source exists but could not be read ("docker: unreachable at unix:///...")."""


class PartialFacts(CollectorError):
    """Some facts were read but not all: the engine keeps the facts and records the error."""

    def __init__(self, facts: object, message: str) -> None:
        super().__init__(message)
        self.facts = facts


class CollectorSkipped(Exception):
    """The source is verified absent on this host (no Docker socket, no containerd)."""


@dataclass(frozen=True)
class ProcessEntry:
    pid: int
    name: str
    argv: tuple[str, ...]


NAMESPACE_KINDS = ("cgroup", "ipc", "mnt", "net", "pid", "user", "uts")
# a cgroup path segment naming a container: a 64-hex id (Docker, containerd, CRI-O, Podman, as a dir or a systemd
# scope like docker-<id>.scope), or the parents runtimes put containers under
_CONTAINER_CGROUP = re.compile(r"(?:^|[/:_-])[0-9a-f]{64}(?:\.scope)?(?:/|$)|/(?:docker|lxc|kubepods)(?:/|$)"
                               r"|/(?:kubepods|lxc\.payload)[.-]")


def read_namespaces(pid: int | str, kinds: tuple[str, ...] = NAMESPACE_KINDS) -> dict[str, str]:
    """Namespace links of a process (`net` -> `net:[4026531833]`); those that cannot be read are left out."""
    found = {}
    for kind in kinds:
        try:
            found[kind] = os.readlink(host_path(f"/proc/{pid}/ns/{kind}"))
        except OSError:
            continue
    return found


def maps_root_to(pid: int, uid: int) -> bool:
    """Whether process `pid` runs in a user namespace whose root is `uid` on the host. A rootless engine's answers
    (its database, its API) are its user's to write: a pid they name stands for their container only when it is
    such a process, never another's, whose /proc view would replace the container's declaration."""
    try:
        with open(host_path(f"/proc/{pid}/uid_map"), encoding="utf-8", errors="replace") as handle:
            first = handle.readline(256).split()
    except OSError:
        return False
    return len(first) == 3 and first[0] == "0" and first[1] == str(uid)


def _status_field(pid: int, name: str) -> str | None:
    try:
        with open(host_path(f"/proc/{pid}/status"), encoding="utf-8", errors="replace") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key == name:
                    return value.strip()
    except OSError:
        return None
    return None


def process_uids(pid: int) -> tuple[int, ...]:
    """The real, effective, saved and filesystem uids of a process as /proc/<pid>/status shows them (empty when it
    cannot be read)."""
    fields = (_status_field(pid, "Uid") or "").split()
    return tuple(int(f) for f in fields) if fields and all(f.isdigit() for f in fields) else ()


def root_doubt(pid: int) -> str | None:
    """Why process `pid` is not root's own: it does not run as root (real, effective and saved uid 0), or its
    executable is not a root-owned file that only root can replace, in a directory chain only root can write (a
    user's copy of dockerd, or a binary under /tmp, is the user's); None when it is root's."""
    uids = process_uids(pid)
    if len(uids) < 3:
        return "its uids cannot be read"
    if uids[:3] != (0, 0, 0):
        return f"runs as uid {uids[0]} (real), {uids[1]} (effective), {uids[2]} (saved), not root"
    exe = host_path(f"/proc/{pid}/exe")
    try:
        info = os.stat(exe)  # the file it runs, even when its path has since been replaced or deleted
        path = os.readlink(exe).removesuffix(" (deleted)")
    except OSError as exc:
        return f"its executable cannot be looked at: {exc.strerror or exc}"
    if info.st_uid != 0 or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"its executable {path} is owned by uid {info.st_uid} or writable by others"
    reason = root_only(posixpath.dirname(path)) if path.startswith("/") else "its executable has no path"
    return f"its executable {path}: {reason}" if reason else None


@dataclass(frozen=True)
class NamespaceReference:
    """The kernel's initial namespaces, which every host process (and no container) lives in, and where they were
    read. Empty `namespaces` means they could not be read: no process can then be proven a host process."""

    namespaces: dict[str, str]
    source: str  # "pid 1 (init)", "pid 2 (kthreadd)", or why neither could be read
    cap_bnd_hex: str | None  # the bounding set of that process, as /proc/<pid>/status shows it


def initial_namespaces() -> NamespaceReference:
    """The initial namespaces from pid 1 where readable, else from kthreadd (pid 2, a kernel thread that is always
    in them); never from a daemon, which may itself run in a namespace of its own."""
    for pid, label in ((1, "pid 1 (init)"), (2, "pid 2 (kthreadd)")):
        if pid == 2 and (_status_field(2, "Name") != "kthreadd" or _status_field(2, "PPid") != "0"):
            continue
        namespaces = read_namespaces(pid)
        if len(namespaces) == len(NAMESPACE_KINDS):
            return NamespaceReference(namespaces, f"/proc/{pid}/ns of {label}", _status_field(pid, "CapBnd"))
    return NamespaceReference({}, "unreadable: neither /proc/1/ns (init) nor /proc/2/ns (kthreadd) could be read",
                              None)


MAX_CMDLINE = 1024 * 1024  # bytes of one process's argv read: the kernel allows a few MiB, nobody needs them


def split_cmdline(data: str) -> tuple[str, ...]:
    """A /proc/<pid>/cmdline as argv: NUL-separated; a process that rewrote its arguments into one NUL-terminated
    string (or none) is split on its spaces, as `ps` shows it."""
    if not data:
        return ()
    separator = "\0" if data.endswith("\0") else " "
    argv = data.removesuffix(separator).split(separator)
    if separator == "\0" and len(argv) == 1 and " " in argv[0]:
        argv = argv[0].split(" ")
    return tuple(argv)


def process_table() -> tuple[ProcessEntry, ...]:
    """Every process of the host's /proc with its name and argv (a process that vanishes while read is left out).
    The name is the kernel's 15-character `comm`, or argv[0]'s base name when that extends it (as psutil names
    processes: `containerd-shim` is `containerd-shim-runc-v2`); the text is decoded as the file system's."""
    entries = []
    for name in os.listdir(host_path("/proc")):
        if not name.isdigit():
            continue
        comm = read_start(f"/proc/{name}/comm", 4096)
        raw_argv = read_start(f"/proc/{name}/cmdline", MAX_CMDLINE)
        if comm is None or raw_argv is None:
            continue
        short = os.fsdecode(comm.removesuffix(b"\n"))
        argv = split_cmdline(os.fsdecode(raw_argv))
        full = os.path.basename(argv[0]) if argv else ""
        entries.append(ProcessEntry(int(name), full if len(short) >= 15 and full.startswith(short) else short,
                                    argv))
    return tuple(sorted(entries, key=lambda entry: entry.pid))


def in_container_cgroup(cgroup_text: str) -> bool:
    """Whether a /proc/<pid>/cgroup text places the process in a container's cgroup."""
    return any(_CONTAINER_CGROUP.search(line.split(":", 2)[-1]) for line in cgroup_text.splitlines())


@dataclass
class CollectContext:
    """What collectors share: where to look, and the process table read once."""

    docker_host: str | None = None
    docker_timeout: float = 5.0
    containerd_state_dirs: tuple[str, ...] = ()  # empty: discover from running containerd and shims
    podman_roots: tuple[str, ...] = ()  # libpod storage roots to read; empty: root's and every user's
    host_root: str = "/"  # where the host's / is mounted (auditing from a container); see `_fs.use_host_root`
    cri_endpoint: str | None = None  # CRI runtime socket; None: the kubelet's, else containerd's config, else CRI-O's
    cri_timeout: float = 5.0  # seconds per CRI call
    workers: int = 16
    docker_api: Any = field(default=None, repr=False)
    docker_unreachable: str | None = None  # why the first connection failed: later callers fail at once
    # the socket of a dockerd found on the host, audited as the endpoint when none was named and the default socket
    # is missing (`docker_engines.main_endpoint`)
    found_docker_url: str | None = None
    untrusted: dict[int, UntrustedProcess] = field(default_factory=dict)  # named like a daemon, not root's
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def docker_url(self) -> str:
        # the host's default socket, through the host root when there is one
        return (self.docker_host or os.environ.get("DOCKER_HOST") or self.found_docker_url
                or "unix://" + host_path("/var/run/docker.sock"))

    def for_endpoint(self, url: str) -> CollectContext:
        """A context for another Docker endpoint, sharing this one's process table, engines and look-alikes."""
        other = dataclasses.replace(self, docker_host=url, docker_api=None, docker_unreachable=None)
        for name in ("processes", "docker_engines", "reference"):
            if name in self.__dict__:
                other.__dict__[name] = self.__dict__[name]
        return other

    @cached_property
    def processes(self) -> tuple[ProcessEntry, ...]:
        """Every process with its name and argv, read once (`process_table`)."""
        return process_table()

    @property
    def narrowed(self) -> bool:
        """Whether one Docker endpoint was named (--docker-host or $DOCKER_HOST): then only it is audited."""
        return bool(self.docker_host or os.environ.get("DOCKER_HOST"))

    @cached_property
    def docker_engines(self) -> tuple[Any, ...]:
        """Every dockerd on the host (`docker_engines.discover`), read once."""
        from hostaudit.collectors import docker_engines

        return docker_engines.discover(self)

    @cached_property
    def reference(self) -> NamespaceReference:
        return initial_namespaces()

    def is_host_process(self, pid: int) -> bool:
        """Whether `pid` runs in the initial mount and PID namespaces and outside any container cgroup: only such a
        process can be the host's daemon, agent, shim or kubelet (a container can name its processes anything)."""
        with self._lock:
            reference = self.reference.namespaces
        if "mnt" not in reference or "pid" not in reference:
            return False
        if read_namespaces(pid, ("mnt", "pid")) != {"mnt": reference["mnt"], "pid": reference["pid"]}:
            return False
        try:
            with open(host_path(f"/proc/{pid}/cgroup"), encoding="utf-8", errors="replace") as handle:
                cgroups = handle.read(65536)
        except OSError:
            return False
        return not in_container_cgroup(cgroups)

    def root_doubt(self, pid: int) -> str | None:
        """Why `pid` is not root's own process (`root_doubt`); None when it is."""
        return root_doubt(pid)

    def host_processes_named(self, *names: str) -> list[ProcessEntry]:
        """The host processes (see `is_host_process`) called one of `names`, whoever runs them: only a rootless
        engine's own processes are looked for this way, and what they name is a candidate its owner must serve."""
        with self._lock:
            table = self.processes
        named = [p for p in table if p.name in names or (p.argv and os.path.basename(p.argv[0]) in names)]
        return [p for p in named if self.is_host_process(p.pid)]

    def processes_named(self, *names: str) -> list[ProcessEntry]:
        """Root's host processes called one of `names` (`is_host_process` and no `root_doubt`): the only ones that
        count as the host's daemons, agents, shims or kubelet, and whose argv may name a path root reads. A host
        process of that name that is not root's is remembered in `untrusted` and never believed."""
        trusted = []
        for proc in self.host_processes_named(*names):
            doubt = self.root_doubt(proc.pid)
            if doubt is None:
                trusted.append(proc)
                continue
            uids = process_uids(proc.pid)
            with self._lock:
                self.untrusted.setdefault(proc.pid, UntrustedProcess(
                    proc.pid, proc.name[:64], uids[0] if uids else None, doubt[:300]))
        return trusted

    def untrusted_processes(self) -> tuple[UntrustedProcess, ...]:
        """The look-alikes `processes_named` refused so far, by pid (a copy: a collector past its deadline may
        still add to them)."""
        with self._lock:
            return tuple(sorted(self.untrusted.values(), key=lambda p: p.pid))

    def named_but_unproven(self, *names: str) -> list[ProcessEntry]:
        """Processes called one of `names` that cannot be shown to be host processes because the initial namespaces
        are unreadable (a container's look-alikes are not counted: they are proven not to be the host's)."""
        if self.reference.namespaces:
            return []
        with self._lock:
            table = self.processes
        return [p for p in table if p.name in names or (p.argv and os.path.basename(p.argv[0]) in names)]
