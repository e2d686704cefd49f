"""A private dockerd and containerd with planted containers, audited once per session through the CLI."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import check_gate
from tests.lab import CTR_DROP_ALL, PrivateContainerd, PrivateDocker, lab_dir, run_hostaudit


def pytest_configure(config: pytest.Config) -> None:
    """A run of the whole directory fails for any container check never failing in a real daemon's report."""
    config.pluginmanager.register(check_gate.Gate(Path(__file__).parent, check_gate.engine_gaps,
                                                  "container checks never failing on the real daemon"))


LAB_LOCK = Path("/tmp/hostaudit-engine-lab.lock")

needs_engine = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("dockerd", "containerd", "ctr", "docker", "busybox")),
    reason="the real engine (docker.io, busybox-static) is not installed",
)

# Every planted container runs with --cgroupns private unless it tests the cgroup namespace, so the expectations do
# not depend on the host's cgroup version.
PRIVATE_CGROUP = ("--cgroupns", "private")
HARDENED = ("--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--user", "1000:1000",
            "--memory", "64m", "--pids-limit", "50", "--cpus", "0.5", "--health-cmd", "true", "--network", "none",
            *PRIVATE_CGROUP)


# Whether a runtime API socket really exists under /run on this host: only then does the planted `run-dir` container
# (/run mounted) reach one; the lab's own daemons listen under /tmp.
RUN_HAS_RUNTIME_SOCKET = any(os.path.exists(path) for path in (
    "/run/docker.sock", "/run/containerd/containerd.sock", "/run/crio/crio.sock", "/run/podman/podman.sock",
    "/run/buildkit/buildkitd.sock"))


def plant_docker(docker: PrivateDocker) -> None:
    run = docker.run
    run("priv", "--privileged", *PRIVATE_CGROUP, create_only=True)
    run("sysadmin", "--cap-add", "SYS_ADMIN", *PRIVATE_CGROUP)
    run("sock", "-v", f"{docker.socket}:/var/run/docker.sock", *PRIVATE_CGROUP)
    run("run-dir", "-v", "/run:/hostrun:ro", *PRIVATE_CGROUP)
    run("host-root", "-v", "/:/host", *PRIVATE_CGROUP)
    run("etc-ro", "-v", "/etc:/hostetc:ro", *PRIVATE_CGROUP)
    run("host-pid", "--pid", "host", *PRIVATE_CGROUP)
    run("host-net", "--network", "host", *PRIVATE_CGROUP)
    run("host-ipc", "--ipc", "host", *PRIVATE_CGROUP)
    run("host-uts", "--uts", "host", *PRIVATE_CGROUP)
    run("host-cgroupns", "--cgroupns", "host")
    run("no-seccomp", "--security-opt", "seccomp=unconfined", *PRIVATE_CGROUP)
    run("ptrace-pid", "--cap-add", "SYS_PTRACE", "--pid", "host", *PRIVATE_CGROUP)
    run("module-stopped", "--cap-add", "SYS_MODULE", *PRIVATE_CGROUP, create_only=True)
    run("hardened", *HARDENED)
    run("hardened-stopped", *HARDENED, create_only=True)
    plant_container_checks(docker)


def plant_container_checks(docker: PrivateDocker) -> None:
    """One planted container per remaining container check (tests/engine/test_container_checks.py). Those whose
    options cannot start on this lab (devices, --bridge=none ports, shared propagation, a host cgroup parent) are
    created only: created containers are audited on their declaration."""
    run = docker.run
    for folder in ("sa-token", "shared"):
        (docker.base / folder).mkdir(exist_ok=True)
    run("cc-systempaths", "--security-opt", "systempaths=unconfined", *PRIVATE_CGROUP)
    run("cc-sys-rw", "--mount", "type=bind,src=/sys,dst=/hostsys,bind-nonrecursive=true", *PRIVATE_CGROUP)
    run("cc-cgroup-rw", "-v", "/sys/fs/cgroup:/hostcgroup", *PRIVATE_CGROUP)
    run("cc-kmsg", "--device", "/dev/kmsg", *PRIVATE_CGROUP, create_only=True)
    run("cc-mem", "--device", "/dev/mem", *PRIVATE_CGROUP, create_only=True)
    run("cc-disk", "--device", "/dev/sdz", *PRIVATE_CGROUP, create_only=True)
    run("cc-device-rule", "--device-cgroup-rule", "a *:* rwm", *PRIVATE_CGROUP, create_only=True)
    run("cc-propagation", "-v", f"{docker.base / 'shared'}:/data:rshared", *PRIVATE_CGROUP, create_only=True)
    run("cc-lxcfs", "-v", "/var/lib/lxcfs:/var/lib/lxcfs", *PRIVATE_CGROUP, create_only=True)
    run("cc-join-net", "--network", "container:host-net", *PRIVATE_CGROUP)
    run("cc-ports", "-p", "80:80", *PRIVATE_CGROUP, create_only=True)
    run("cc-ports-local", "-p", "127.0.0.1:8080:80", *PRIVATE_CGROUP, create_only=True)
    run("cc-restart", "--restart", "always", *PRIVATE_CGROUP)
    run("cc-cgroup-parent", "--cgroup-parent", "/hostaudit-lab", *PRIVATE_CGROUP, create_only=True)
    run("cc-ulimit", "--ulimit", "nofile=1024:2048", *PRIVATE_CGROUP)
    run("cc-sa-token", "-v", f"{docker.base / 'sa-token'}:/var/run/secrets/kubernetes.io/serviceaccount:ro",
        *PRIVATE_CGROUP)
    run("cc-gpu", "--gpus", "all", *PRIVATE_CGROUP, create_only=True)
    run("cc-dac-read-search", "--cap-add", "DAC_READ_SEARCH", *PRIVATE_CGROUP)
    run("cc-userns-host", "--userns", "host", *PRIVATE_CGROUP)
    run("cc-apparmor-off", "--security-opt", "apparmor=unconfined", *PRIVATE_CGROUP)
    run("cc-label-off", "--security-opt", "label=disable", *PRIVATE_CGROUP)


def plant_containerd(containerd: PrivateContainerd) -> None:
    containerd.pod("shop", "risky", {"app": ("--cap-add", "CAP_SYS_ADMIN", "--mount",
                                             "type=bind,src=/,dst=/host,options=rbind:rw", "--allow-new-privs")},
                   sandbox=("--net-host",))
    containerd.pod("shop", "locked", {"web": ("--seccomp", "--read-only", *CTR_DROP_ALL)})
    containerd.run("plain-task", "--seccomp", namespace="default")
    # a task in its own user namespace (container root = host uid 100000) must traverse the lab dirs to its rootfs
    for folder in (containerd.base.parent, containerd.base):
        folder.chmod(0o711)
    containerd.run("userns-task", "--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536", "--seccomp",
                   namespace="default")


@contextlib.contextmanager
def planted_lab() -> Iterator[tuple[PrivateDocker, PrivateContainerd]]:
    """A private dockerd and containerd with every planted container; stopped and removed on exit."""
    base = lab_dir()
    docker = PrivateDocker(base / "docker")
    containerd = PrivateContainerd(base / "containerd")
    # `ctr run --uidmap` keeps the task's runc state under runc's default root whatever --runc-root says, so two labs
    # at once (parallel suites on one machine) would collide on the user-namespaced task id: one lab at a time.
    lock = LAB_LOCK.open("w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        docker.start()
        docker.build_image()
        plant_docker(docker)
        containerd.start()
        containerd.import_image(docker)
        plant_containerd(containerd)
        yield docker, containerd
    finally:
        containerd.stop()
        docker.stop()
        shutil.rmtree(base, ignore_errors=True)
        lock.close()


@pytest.fixture(scope="session")
def lab():
    with planted_lab() as planted:
        yield planted


@pytest.fixture(scope="session")
def report(lab) -> dict:
    docker, containerd = lab
    done = run_hostaudit("audit", "--format", "json", "--docker-host", docker.url,
                         "--containerd-state", str(containerd.state))
    return json.loads(done.stdout)


@pytest.fixture(scope="session")
def failing(report) -> dict[str, set[str]]:
    """Subject name -> ids of the checks that fail on it."""
    found: dict[str, set[str]] = defaultdict(set)
    for finding in report["findings"]:
        if finding["status"] == "fail":
            found[finding["subject"]["name"]].add(finding["check_id"])
    return found
