"""Limits of a cgroup as the kernel holds them, for a pod's cgroup named the kubelet's way (cgroupfs or systemd)."""

from __future__ import annotations

import os

from hostaudit.collectors._fs import host_exists, read_text

ROOT = "/sys/fs/cgroup"
UNLIMITED_V1 = 1 << 62  # memory.limit_in_bytes of an unlimited cgroup v1 is PAGE_COUNTER_MAX pages, above this


def cgroup_path(name: str) -> str | None:
    """The path under a hierarchy of a cgroup named `/a/b` (cgroupfs) or `a-b.slice` (systemd: each dash one level
    down); None for a name that leaves the hierarchy."""
    if name.endswith(".slice") and "/" not in name:
        parts = name.removesuffix(".slice").split("-")
        path = "/" + "/".join("-".join(parts[: i + 1]) + ".slice" for i in range(len(parts)))
    else:
        path = "/" + name.strip("/")
    normal = os.path.normpath(path)
    return None if ".." in normal.split("/") or not normal.startswith("/") else normal


def pod_cgroup(sandbox_cgroups_path: str) -> str:
    """The pod's cgroup from its sandbox's OCI `linux.cgroupsPath`: `/kubepods/pod<uid>/<id>` (cgroupfs driver) or
    `kubepods-pod<uid>.slice:cri-containerd:<id>` (systemd driver: slice:prefix:name)."""
    if ":" in sandbox_cgroups_path:
        return sandbox_cgroups_path.split(":", 1)[0]
    return os.path.dirname(sandbox_cgroups_path.rstrip("/")) if sandbox_cgroups_path.startswith("/") else ""


def _number(text: str | None, unlimited: tuple[str, ...] = ("max",)) -> tuple[bool, int | None]:
    """(read, value): value None for unlimited."""
    if text is None:
        return False, None
    word = text.split()[0] if text.split() else ""
    if word in unlimited:
        return True, None
    try:
        return True, int(word)
    except ValueError:
        return False, None


def limits(name: str) -> dict[str, int | None]:
    """pids / memory / cpu_quota of the cgroup `name`, each only when its file could be read."""
    path = cgroup_path(name)
    if not name or path is None:
        return {}
    unified = host_exists(os.path.join(ROOT, "cgroup.controllers"))
    files = {"pids": (f"{ROOT}{path}/pids.max", ("max",)),
             "memory": (f"{ROOT}{path}/memory.max", ("max",)),
             "cpu_quota": (f"{ROOT}{path}/cpu.max", ("max",))} if unified else {
             "pids": (f"{ROOT}/pids{path}/pids.max", ("max",)),
             "memory": (f"{ROOT}/memory{path}/memory.limit_in_bytes", ()),
             "cpu_quota": (f"{ROOT}/cpu{path}/cpu.cfs_quota_us", ("-1",))}
    found: dict[str, int | None] = {}
    for key, (file, unlimited) in files.items():
        read, value = _number(read_text(file, limit=4096, follow=False).text, unlimited)
        if read:
            found[key] = None if key == "memory" and value is not None and value >= UNLIMITED_V1 else value
    return found
