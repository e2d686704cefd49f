"""Versions of the container runtime binaries on the host (`<path> --version`) and of their distro packages.

Only root-owned binaries at fixed system paths are run (see `_exec`); never a path a process or a container names.
Package versions are read from dpkg's status file; rpm's database can only be asked through /usr/bin/rpm.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any

from hostaudit.collectors._exec import SYSTEM_DIRS, run_fixed, trusted_binary
from hostaudit.collectors._fs import host_path, read_text, root_only
from hostaudit.parsers import parse_json_object, parse_toml

BINARIES = ("runc", "containerd", "dockerd", "nvidia-ctk", "nvidia-container-runtime-hook",
            "nvidia-container-toolkit", "nvidia-container-runtime", "crio", "buildkitd")
PACKAGES = ("runc", "crun", "containerd", "docker.io", "containerd.io", "docker-ce", "moby-engine", "moby-runc",
            "moby-containerd", "nvidia-container-toolkit", "cri-o")
# binaries never run, because starting them writes to the host: crun copies itself to a file it creates in /tmp on
# every start (its cloned-binary guard), `--version` included; their versions come from their distro packages
NOT_RUN = ("crun",)
DOCKER_CONFIG = "/etc/docker/daemon.json"
CONTAINERD_CONFIG = "/etc/containerd/config.toml"
DPKG_STATUS = "/var/lib/dpkg/status"
RPM = "/usr/bin/rpm"
_VERSION_TOKEN = re.compile(r"^v?\d+\.\d+")


def version_from_output(output: str) -> str | None:
    """The version token of a `--version` line: "runc version 1.1.5+ds1" -> "1.1.5+ds1"."""
    for line in output.splitlines()[:3]:
        for word in line.split():
            word = word.rstrip(",")
            if _VERSION_TOKEN.match(word):
                return word
    return None


def _binary_names(value: Any) -> Iterator[str]:
    """Every `BinaryName` in a containerd config, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "BinaryName" and isinstance(item, str):
                yield item
            else:
                yield from _binary_names(item)


def _configured_paths() -> list[str]:
    """Runtime binaries named in daemon.json `runtimes` and containerd's runtime options."""
    paths = []
    docker = read_text(DOCKER_CONFIG).text
    if docker:
        try:
            runtimes = parse_json_object(docker).get("runtimes")
        except ValueError:
            runtimes = None
        if isinstance(runtimes, dict):
            paths += [r["path"] for r in runtimes.values() if isinstance(r, dict) and isinstance(r.get("path"), str)]
    containerd = read_text(CONTAINERD_CONFIG).text
    if containerd:
        with contextlib.suppress(ValueError):
            paths += list(_binary_names(parse_toml(containerd)))
    return paths


def _candidates() -> dict[str, str]:
    """Real path -> the path it was found at, for the known runtime binaries in the system directories and those the
    host's daemon configs name there (deduplicated across symlinks); only binaries `_exec` would run."""
    found: dict[str, str] = {}
    names = set(BINARIES)
    system = [os.path.join(d, name) for d in SYSTEM_DIRS for name in BINARIES]
    configured = [p for p in _configured_paths() if os.path.isabs(p)]
    # the NVIDIA toolkit's own binaries beside a configured runtime (the GPU Operator's /usr/local/nvidia/toolkit)
    configured += [os.path.join(os.path.dirname(p), name) for p in configured for name in BINARIES]
    for path, host_configured in [(p, False) for p in system] + [(p, True) for p in configured]:
        real = trusted_binary(path, host_configured)
        if real and (os.path.basename(path) in names or os.path.basename(real) in names):
            found.setdefault(real, path)
    return found


@lru_cache(maxsize=64)
def binary_version(path: str) -> str | None:
    """The version a trusted host binary prints for `--version`, or None."""
    ran = run_fixed(path, "--version")
    return version_from_output(ran[1]) if ran and ran[0] == 0 else None


def binaries_not_run() -> tuple[str, ...]:
    """The NOT_RUN binaries at the fixed system paths, root's alone (as `_exec` requires): known present, not run."""
    found = {}
    for path in (os.path.join(d, name) for d in SYSTEM_DIRS for name in NOT_RUN):
        real = os.path.realpath(host_path(path))
        if os.path.isfile(real) and root_only(path) is None:
            found.setdefault(real, path)
    return tuple(found.values())


def runtime_binaries() -> dict[str, str]:
    """Path -> version for each runtime binary found; a binary that fails or times out is left out."""
    paths = list(_candidates().values())
    if not paths:
        return {}
    with ThreadPoolExecutor(max_workers=len(paths)) as pool:  # each run is mostly the binary's own start-up
        versions = list(pool.map(binary_version, paths))
    return {path: version for path, version in zip(paths, versions, strict=True) if version}


def running_binary_version(pid: int, name: str) -> tuple[str | None, str | None]:
    """(version, path) of a host daemon's binary: the fixed system path that is the very file the process runs
    (same device and inode as /proc/<pid>/exe, which is only looked at, never run)."""
    try:
        running = os.stat(host_path(f"/proc/{pid}/exe"))
    except OSError:
        return None, None
    for directory in SYSTEM_DIRS:
        path = os.path.join(directory, name)
        try:
            candidate = os.stat(host_path(path))
        except OSError:
            continue
        if (candidate.st_dev, candidate.st_ino) == (running.st_dev, running.st_ino):
            return binary_version(path), path
    return None, None


def parse_dpkg_status(text: str, wanted: tuple[str, ...]) -> dict[str, str]:
    """Package -> version of the installed (`install ok installed`) packages in `wanted`, from dpkg's status file."""
    found = {}
    for stanza in text.split("\n\n"):
        if not any(name in stanza for name in wanted):
            continue  # most of the file: a stanza that cannot name a wanted package
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            key, sep, value = line.partition(":")
            if sep and not line[:1].isspace():
                fields[key] = value.strip()
        if fields.get("Package") in wanted and fields.get("Status") == "install ok installed" and fields.get("Version"):
            found[fields["Package"]] = fields["Version"]
    return found


def runtime_packages() -> dict[str, str]:
    """Installed runtime packages and their versions, from dpkg's status file or rpm where present."""
    found = parse_dpkg_status(read_text(DPKG_STATUS, limit=256 * 1024 * 1024).text or "", PACKAGES)
    ran = run_fixed(RPM, "-q", "--qf", "%{NAME}\t%{VERSION}-%{RELEASE}\n", *PACKAGES)
    for line in (ran[1] if ran else "").splitlines():
        name, _, version = line.partition("\t")
        if version and name in PACKAGES:
            found[name] = version
    return found
