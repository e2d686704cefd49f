"""Versions of the container runtime binaries on the host (`<path> --version`) and of their distro packages.

Only host binaries are run, with a timeout; nothing is run inside a container.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

from hostaudit.collectors._fs import read_text
from hostaudit.parsers import parse_json_object, parse_toml

BINARIES = ("runc", "containerd", "dockerd", "nvidia-ctk", "nvidia-container-runtime-hook", "nvidia-container-toolkit",
            "nvidia-container-runtime")
DIRS = ("/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin", "/bin", "/sbin")
PACKAGES = ("runc", "containerd", "docker.io", "containerd.io", "docker-ce", "moby-engine", "moby-runc",
            "moby-containerd", "nvidia-container-toolkit")
DOCKER_CONFIG = "/etc/docker/daemon.json"
CONTAINERD_CONFIG = "/etc/containerd/config.toml"
TIMEOUT_S = 3.0
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
    """Real path -> the path it was found at, for the known runtime binaries (deduplicated across symlinks)."""
    found: dict[str, str] = {}
    names = set(BINARIES)
    paths = [shutil.which(name) for name in BINARIES]
    paths += [os.path.join(d, name) for d in DIRS for name in BINARIES]
    configured = [p if os.path.isabs(p) else shutil.which(p) for p in _configured_paths()]
    paths += configured
    # the NVIDIA toolkit's own binaries beside a configured runtime (the GPU Operator's /usr/local/nvidia/toolkit)
    paths += [os.path.join(os.path.dirname(p), name) for p in configured if p for name in BINARIES]
    for path in paths:
        if not path or not os.path.isfile(path) or not os.access(path, os.X_OK):
            continue
        real = os.path.realpath(path)
        if os.path.basename(path) in names or os.path.basename(real) in names:
            found.setdefault(real, path)
    return found


def runtime_binaries() -> dict[str, str]:
    """Path -> version for each runtime binary found; a binary that fails or times out is left out."""
    versions = {}
    for path in _candidates().values():
        try:
            done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=TIMEOUT_S,
                                  check=False, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError):
            continue
        version = version_from_output(done.stdout or done.stderr)
        if version:
            versions[path] = version
    return versions


def _query(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S, check=False,
                              stdin=subprocess.DEVNULL).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def runtime_packages() -> dict[str, str]:
    """Installed runtime packages and their versions, from dpkg or rpm where present."""
    found = {}
    if shutil.which("dpkg-query"):
        out = _query(["dpkg-query", "-W", "-f", "${Package}\t${Version}\t${db:Status-Abbrev}\n", *PACKAGES])
        for line in out.splitlines():
            name, _, rest = line.partition("\t")
            version, _, status = rest.partition("\t")
            if version and status.startswith("ii"):
                found[name] = version
    if shutil.which("rpm"):
        out = _query(["rpm", "-q", "--qf", "%{NAME}\t%{VERSION}-%{RELEASE}\n", *PACKAGES])
        for line in out.splitlines():
            name, _, version = line.partition("\t")
            if version and name in PACKAGES:
                found[name] = version
    return found
