"""A real private dockerd started with `--containerd-namespace moby2` on a containerd of its own (and a TCP listener
on 127.0.0.1): its running container is one subject (Docker's), not also a raw containerd task, however the audit
reaches the daemon. The oracle is containerd's own state dir: the task's bundle really is under namespace moby2."""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Iterator

import pytest

from hostaudit.collectors._docker_http import MAX_INSPECT_RESPONSE
from hostaudit.collectors.containerd import TASKS
from tests.engine.conftest import PRIVATE_CGROUP, needs_engine
from tests.lab import PrivateDocker, lab_dir, run_hostaudit

pytestmark = [needs_engine, pytest.mark.skipif(os.geteuid() != 0, reason="starts a private dockerd")]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def moby2() -> Iterator[tuple[PrivateDocker, str, int]]:
    """The dockerd, the id of its running container `ns-moby2` (its bundle verified under moby2), its TCP port."""
    base = lab_dir()
    port = _free_port()
    docker = PrivateDocker(base / "docker", extra_args=("--containerd-namespace", "moby2",
                                                        "-H", f"tcp://127.0.0.1:{port}"))
    try:
        docker.start()
        docker.build_image()
        docker.run("ns-moby2", *PRIVATE_CGROUP)
        ctr_id = docker.docker("inspect", "-f", "{{.Id}}", "ns-moby2").stdout.decode().strip()
        assert docker.containerd is not None
        assert (docker.containerd.state / TASKS / "moby2" / ctr_id / "config.json").is_file()
        yield docker, ctr_id, port
    finally:
        docker.stop()
        shutil.rmtree(base, ignore_errors=True)


def _audit(docker: PrivateDocker, endpoint: str) -> dict:
    assert docker.containerd is not None
    done = run_hostaudit("audit", "--format", "json", "--docker-host", endpoint,
                         "--containerd-state", str(docker.containerd.state))
    return json.loads(done.stdout)


def _counted_once(report: dict, ctr_id: str) -> None:
    subjects = {(f["subject"]["key"], f["subject"]["name"]) for f in report["findings"]}
    assert ("docker:ns-moby2", "ns-moby2") in subjects
    assert not [s for s in subjects if ctr_id in s[0] or ctr_id[:12] in s[1]], subjects


def test_a_dockerd_in_containerd_namespace_moby2_has_its_container_counted_once(moby2):
    docker, ctr_id, _ = moby2
    _counted_once(_audit(docker, docker.url), ctr_id)


def test_the_same_dockerd_reached_over_tcp_has_its_container_counted_once(moby2):
    """Counted twice before: the containers of a TCP endpoint were nobody's (no SO_PEERCRED), so none stood for its
    task; the kernel's socket table shows root's dockerd listening on the port."""
    docker, ctr_id, port = moby2
    report = _audit(docker, f"tcp://127.0.0.1:{port}")
    _counted_once(report, ctr_id)
    owner = next(c for c in report["containers"] if c["name"] == "ns-moby2")
    assert owner["owner"] == "root", owner


def test_a_container_docker_could_not_describe_leaves_the_others_counted_once(moby2):
    """Counted twice before: one inspect too big to read put the containers collector in error, and then none of
    the containers it did read stood for its task."""
    docker, ctr_id, _ = moby2
    label = docker.base / "huge.labels"
    line = 60_000  # the docker CLI reads a label file line by line, each below 64 KiB
    label.write_text("".join(f"huge{n}={'x' * line}\n" for n in range(MAX_INSPECT_RESPONSE // line + 2)))
    docker.docker("create", "--name", "huge-inspect", "--label-file", str(label), "hostaudit-lab/busybox:1")
    try:
        report = _audit(docker, docker.url)
        assert report["collectors"]["containers"]["state"] == "error", report["collectors"]["containers"]
        _counted_once(report, ctr_id)
    finally:
        docker.docker("rm", "-f", "huge-inspect", check=False)
