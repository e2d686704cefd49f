"""`hostaudit watch` on a private containerd with CRI (no GetContainerEvents in containerd 1.6: the CRI list is
polled): a weak pod's container started while it runs gets the one-shot audit's verdict, a hardened one no line at
--fail-on high, a removed pod is reported gone.

The oracles are the runtime (what it was told to run) and the one-shot `hostaudit audit --format json` of it."""

from __future__ import annotations

import json
import shutil
import time

import pytest

from tests.cri_lab import ContainerSpec, PodSpec, PrivateCri, cni_available, has_cri_client
from tests.lab import lab_dir, run_hostaudit
from tests.watching import Watching, audited

pytestmark = pytest.mark.skipif(not has_cri_client() or not cni_available(),
                                reason="needs containerd, the CRI client and the CNI plugins")

NS = "watch-lab"
HARDENED = dict(drop_caps=("ALL",), run_as_user=1000, run_as_group=1000, readonly_rootfs=True, no_new_privs=True,
                seccomp="RuntimeDefault")


@pytest.fixture(scope="module")
def cri():
    runtime = PrivateCri(lab_dir("hwcri-"))
    try:
        runtime.start()
        yield runtime
    finally:
        runtime.stop()
        shutil.rmtree(runtime.base, ignore_errors=True)


def _sources(cri: PrivateCri) -> tuple[str, ...]:
    return ("--docker-host", f"unix://{cri.base}/no-docker.sock", "--containerd-state", str(cri.state),
            "--cri-endpoint", f"unix://{cri.socket}")


def test_weak_pod_gets_the_audits_verdict_hardened_none_and_removal_is_reported(cri):
    running = Watching(*_sources(cri), "--fail-on", "high", "--cri-every", "0.5")
    try:
        ends = time.monotonic() + 60
        while not any("polling its containers" in line for line in running.stderr):
            assert time.monotonic() < ends and running.process.poll() is None, running.stderr
            time.sleep(0.1)
        weak = ContainerSpec("app", add_caps=("SYS_ADMIN",), mounts=(("/", "/host"),))
        ids = cri.run_pod(PodSpec(NS, "weak"), [weak])
        cri.run_pod(PodSpec(NS, "strong"), [ContainerSpec("web", **HARDENED)])
        line = running.wait_for(f"k8s:{NS}/weak/app")
        report = json.loads(run_hostaudit("audit", "--format", "json", *_sources(cri)).stdout)
        verdict, failing, paths = audited(report, f"k8s:{NS}/weak/app")
        high = [c for c in failing if report["checks"][c]["severity"] in ("critical", "high")]
        assert (line["verdict"], line["failing"], line["paths"]) == (verdict, high, paths)
        assert line["verdict"] == "escapable" and line["engine"] == f"cri:{cri.socket}"
        assert audited(report, f"k8s:{NS}/strong/web")[0] == "contained"
        cri.remove_pod(ids["(sandbox)"])
        gone = running.wait_for(f"k8s:{NS}/weak/app", event="destroy")
        assert gone["verdict"] is None
        assert all("strong" not in raw for raw in running.raw)
        assert running.stop() == 0
    finally:
        if running.process.poll() is None:
            running.process.kill()
