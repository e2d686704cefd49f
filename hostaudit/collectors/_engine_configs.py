"""The runtime settings of root's Podman and CRI-O configuration files: which OCI runtime each engine runs.

Only the keys that choose the runtime are kept: Podman's `[engine] runtime` (containers.conf, the distribution's under
/usr/share, then root's under /etc, then their `.d` drop-ins, a later file winning) and CRI-O's `[crio.runtime]
default_runtime` with each runtime's `runtime_path` (crio.conf, then its drop-ins in name order). A file a user other
than root could have written is kept with that error, never believed (`_fs.read_parsed`). A user's own
containers.conf decides only that user's rootless containers and is not read.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from typing import Any

from hostaudit.collectors._fs import host_isdir, host_listdir, read_parsed
from hostaudit.model import ConfigFile, Presence
from hostaudit.parsers import parse_toml

PODMAN_FILES = ("/usr/share/containers/containers.conf", "/etc/containers/containers.conf")
PODMAN_DROP_INS = ("/usr/share/containers/containers.conf.d", "/etc/containers/containers.conf.d")
CRIO_FILES = ("/etc/crio/crio.conf",)
CRIO_DROP_INS = ("/etc/crio/crio.conf.d",)
MAX_DROP_INS = 64  # per directory; more are not read (and said)
MAX_RUNTIMES = 64  # CRI-O runtime tables kept per file
MAX_NAME = 256


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value[:MAX_NAME] if isinstance(value, str) else None


def podman_settings(text: str) -> dict[str, Any]:
    """containers.conf reduced to `{"engine": {"runtime": ...}}` (an empty table when it sets no runtime)."""
    runtime = _text(_table(parse_toml(text).get("engine")).get("runtime"))
    return {"engine": {"runtime": runtime}} if runtime is not None else {}


def crio_settings(text: str) -> dict[str, Any]:
    """crio.conf reduced to `[crio.runtime]` default_runtime and each runtime's runtime_path."""
    runtime = _table(_table(parse_toml(text).get("crio")).get("runtime"))
    kept: dict[str, Any] = {}
    default = _text(runtime.get("default_runtime"))
    if default is not None:
        kept["default_runtime"] = default
    paths = {str(name)[:MAX_NAME]: _text(_table(options).get("runtime_path"))
             for name, options in list(_table(runtime.get("runtimes")).items())[:MAX_RUNTIMES]}
    if paths:
        kept["runtimes"] = {name: {"runtime_path": path} for name, path in paths.items() if path is not None}
    return {"crio": {"runtime": kept}} if kept else {}


def _drop_ins(directory: str) -> list[str]:
    if not host_isdir(directory):
        return []
    try:
        names = sorted(n for n in host_listdir(directory) if n.endswith(".conf"))
    except OSError:
        return []
    return [posixpath.join(directory, n) for n in names]


def _read(files: tuple[str, ...], drop_ins: tuple[str, ...], settings: Callable[[str], dict[str, Any]]
          ) -> list[ConfigFile]:
    found = []
    for directory in drop_ins:
        paths = _drop_ins(directory)
        files += tuple(paths[:MAX_DROP_INS])
        if len(paths) > MAX_DROP_INS:
            found.append(ConfigFile(directory, Presence.PRESENT, error=f"{directory}: {len(paths)} drop-in files, "
                                    f"only the first {MAX_DROP_INS} read: the runtime they choose is not known"))
    read = [read_parsed(path, settings) for path in files]
    return [c for c in read if c.presence is not Presence.ABSENT] + found


def engine_configs() -> tuple[ConfigFile, ...]:
    """Podman's then CRI-O's configuration files that exist, each engine's in the order they apply."""
    return tuple(_read(PODMAN_FILES, PODMAN_DROP_INS, podman_settings) + _read(CRIO_FILES, CRIO_DROP_INS,
                                                                            crio_settings))
