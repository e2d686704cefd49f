"""A real private dockerd started with `--containerd-namespace moby2` on a containerd of its own: its running
container is one subject (Docker's), not also a raw containerd task. The oracle is containerd's own state dir: the
task's bundle really is under namespace moby2."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from hostaudit.collectors.containerd import TASKS
from tests.engine.conftest import PRIVATE_CGROUP, needs_engine
from tests.lab import PrivateDocker, lab_dir, run_hostaudit

pytestmark = [needs_engine, pytest.mark.skipif(os.geteuid() != 0, reason="starts a private dockerd")]


def test_a_dockerd_in_containerd_namespace_moby2_has_its_container_counted_once():
    base = lab_dir()
    docker = PrivateDocker(base / "docker", extra_args=("--containerd-namespace", "moby2"))
    try:
        docker.start()
        docker.build_image()
        docker.run("ns-moby2", *PRIVATE_CGROUP)
        ctr_id = docker.docker("inspect", "-f", "{{.Id}}", "ns-moby2").stdout.decode().strip()
        assert docker.containerd is not None
        assert (docker.containerd.state / TASKS / "moby2" / ctr_id / "config.json").is_file()
        done = run_hostaudit("audit", "--format", "json", "--docker-host", docker.url,
                             "--containerd-state", str(docker.containerd.state))
        report = json.loads(done.stdout)
        subjects = {(f["subject"]["key"], f["subject"]["name"]) for f in report["findings"]}
        assert ("docker:ns-moby2", "ns-moby2") in subjects
        assert not [s for s in subjects if ctr_id in s[0] or ctr_id[:12] in s[1]], subjects
    finally:
        docker.stop()
        shutil.rmtree(base, ignore_errors=True)
