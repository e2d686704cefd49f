"""Declared vs effective capabilities on a real container: Docker's record says `--cap-add SYS_ADMIN`, but the OCI
runtime dockerd was told to use (a wrapper around runc, as gVisor or a site's hardening shim would be) takes it out
of every capability set before the container starts. The oracle is the kernel's /proc/<pid>/status of the
container's init: the audit must judge what CapBnd holds, say so, and name the declaration it overruled."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.engine.conftest import PRIVATE_CGROUP, needs_engine
from tests.lab import PrivateDocker, empty_containerd_state, lab_dir, run_hostaudit

pytestmark = needs_engine

CAP_SYS_ADMIN = 21  # linux/capability.h
# runc, after SYS_ADMIN is dropped from the bundle's config.json on `create` (the shim passes --bundle DIR)
WRAPPER = f"""#!{sys.executable}
import json, os, sys
args = sys.argv[1:]
if "create" in args and "--bundle" in args:
    path = os.path.join(args[args.index("--bundle") + 1], "config.json")
    spec = json.load(open(path))
    for name, caps in spec["process"].get("capabilities", {{}}).items():
        spec["process"]["capabilities"][name] = [c for c in caps if c != "CAP_SYS_ADMIN"]
    json.dump(spec, open(path, "w"))
os.execv("{shutil.which("runc")}", ["runc", *args])
"""


def _cap_bnd(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("CapBnd:"):
            return int(line.split()[1], 16)
    raise AssertionError(f"no CapBnd in /proc/{pid}/status")


@pytest.fixture(scope="module")
def dropped():
    base = lab_dir("hacaps-")
    wrapper = base / "runc-drop-sys-admin"
    base.mkdir(exist_ok=True)
    wrapper.write_text(WRAPPER)
    wrapper.chmod(0o755)
    docker = PrivateDocker(base / "docker", daemon_json={"runtimes": {"dropper": {"path": str(wrapper)}}})
    try:
        docker.start()
        docker.build_image()
        docker.run("declared-sysadmin", "--cap-add", "SYS_ADMIN", "--runtime", "dropper", *PRIVATE_CGROUP)
        inspect = json.loads(docker.docker("inspect", "declared-sysadmin").stdout)[0]
        done = run_hostaudit("audit", "--format", "json", "--docker-host", docker.url,
                             "--containerd-state", str(empty_containerd_state(base)))
        yield inspect, json.loads(done.stdout)
    finally:
        docker.stop()
        shutil.rmtree(base, ignore_errors=True)


def test_the_kernel_s_bounding_set_decides_not_the_declaration(dropped):
    inspect, report = dropped
    assert inspect["HostConfig"]["CapAdd"] == ["CAP_SYS_ADMIN"]  # what Docker records
    assert not _cap_bnd(inspect["State"]["Pid"]) >> CAP_SYS_ADMIN & 1  # what the kernel enforces
    finding = next(f for f in report["findings"] if f["check_id"] == "container.cap_sys_admin"
                   and f["subject"]["name"] == "declared-sysadmin")
    assert finding["status"] == "pass"
    assert finding["evidence"]["capabilities.source"] == "/proc CapBnd"
    assert finding["evidence"]["capabilities.has_SYS_ADMIN"] is False
    assert "SYS_ADMIN" in finding["evidence"]["capabilities.declared_differs"]
