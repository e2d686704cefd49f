"""Snapshot variants with chosen runtime versions, built from the recorded lab snapshot."""

from __future__ import annotations

import dataclasses

from hostaudit.model import Snapshot
from tests.unit.checks._node import with_main


def with_versions(snapshot: Snapshot, *, docker: str | None = None, runc: str | None = None,
                  containerd: str | None = None, binaries: dict[str, str] | None = None,
                  packages: dict[str, str] | None = None, authz: tuple[str, ...] = ()) -> Snapshot:
    """The snapshot as if the daemon reported these component versions and the host had these binaries/packages."""
    components = [{"Name": name, "Version": version} for name, version in
                  (("Engine", docker), ("containerd", containerd), ("runc", runc)) if version]
    daemon = snapshot.docker_daemon
    info = {**(daemon.info or {}), "Plugins": {**((daemon.info or {}).get("Plugins") or {}),
                                               "Authorization": list(authz) or None}}
    daemon = dataclasses.replace(daemon, version={"Version": docker, "Components": components}, info=info)
    host = dataclasses.replace(snapshot.host, runtime_binaries=binaries or {}, runtime_packages=packages or {})
    standalone = with_main(snapshot.containerd, version=None)
    return dataclasses.replace(snapshot, docker_daemon=daemon, host=host, containerd=standalone)
