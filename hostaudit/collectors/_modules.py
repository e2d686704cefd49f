"""Kernel module facts: what is loaded, built in or loadable for the running kernel, and what modprobe.d blocks.

Only fixed host paths are read (/proc/modules, /lib/modules/<uname -r>/, the modprobe.d directories); nothing is
loaded, run or written.
"""

from __future__ import annotations

import os

from hostaudit.collectors._fs import host_listdir, read_text
from hostaudit.model import KernelModules, Presence

MODPROBE_DIRS = ("/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/lib/modprobe.d",
                 "/usr/lib/modprobe.d")
MAX_FILES = 200
# `install <module> <command>` with one of these commands makes every load of the module fail (or do nothing)
NO_OP_COMMANDS = frozenset({"false", "true"})


def module_name(path_or_name: str) -> str:
    """"kernel/crypto/algif_aead.ko.xz" or "algif-aead" -> "algif_aead"."""
    name = os.path.basename(path_or_name.strip())
    name = name.split(".ko", 1)[0]
    return name.replace("-", "_")


def parse_modprobe_conf(text: str, origin: str) -> dict[str, str]:
    """Modules a modprobe.d file stops from loading: `install <mod> /bin/false` (or true) and `blacklist <mod>`."""
    blocked = {}
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if len(words) >= 3 and words[0] == "install" and os.path.basename(words[2]) in NO_OP_COMMANDS:
            blocked[module_name(words[1])] = f"install {words[2]} ({origin}:{number})"
        elif len(words) == 2 and words[0] == "blacklist":
            blocked.setdefault(module_name(words[1]), f"blacklist ({origin}:{number})")
    return blocked


def _names(path: str, first_field: bool) -> tuple[str, ...] | None:
    found = read_text(path)
    if found.text is None:
        return None
    lines = (line.split(":", 1)[0] if first_field else line.split()[0] for line in found.text.splitlines()
             if line.strip())
    return tuple(sorted({module_name(n) for n in lines}))


def _blocked() -> tuple[dict[str, str], tuple[str, ...]]:
    blocked: dict[str, str] = {}
    unreadable = []
    for directory in MODPROBE_DIRS:
        try:
            names = sorted(n for n in host_listdir(directory) if n.endswith(".conf"))[:MAX_FILES]
        except OSError:
            continue
        for name in names:
            path = os.path.join(directory, name)
            found = read_text(path)
            if found.presence is Presence.UNREADABLE:
                unreadable.append(path)
            elif found.text is not None:
                for module, how in parse_modprobe_conf(found.text, path).items():
                    blocked.setdefault(module, how)
    return blocked, tuple(unreadable)


def read_kernel_modules(release: str) -> KernelModules:
    """The module facts of the running kernel `release` (uname -r)."""
    base = f"/lib/modules/{release}"
    loaded = read_text("/proc/modules")
    blocked, unreadable = _blocked()
    if loaded.presence is Presence.ABSENT:  # a kernel without module support: nothing is loaded
        loaded_names: tuple[str, ...] | None = ()
    elif loaded.text is None:
        loaded_names = None
    else:
        loaded_names = tuple(sorted({line.split()[0] for line in loaded.text.splitlines() if line.strip()}))
    return KernelModules(
        loaded=loaded_names,
        builtin=_names(f"{base}/modules.builtin", first_field=False),
        available=_names(f"{base}/modules.dep", first_field=True),
        blocked=blocked,
        unreadable=unreadable,
    )
