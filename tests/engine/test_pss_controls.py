"""Pod Security Standards control by control, on real CRI pods: each pod of tests/pss_pods.py (a V1Pod that meets or
violates one control of the latest PSS version) is sent to a private containerd the way kubelet sends it, and
audited through the CLI. The oracle is the upstream verdict written beside each pod, never hostaudit's code: a pod
that violates a control is never reported at that control's level or stricter, and one that meets it gets a `pass`
for that control (or an honest `unknown`), never a `fail`."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.cri_lab import CTR_IMAGE, PrivateCri, cni_available, has_cri_client
from tests.lab import lab_dir, run_hostaudit
from tests.pss_pods import BASELINE, CASES, NS, RESTRICTED, Case, cri_requests, level_of_control, pod_of

pytestmark = pytest.mark.skipif(not has_cri_client() or not cni_available(),
                                reason="needs containerd, the CRI client and the CNI plugins")
STRICTNESS = {"privileged": 0, BASELINE: 1, RESTRICTED: 2}


def plant(cri: PrivateCri, case: Case) -> None:
    """RunPodSandbox, CreateContainer and StartContainer as kubelet would for the case's pod."""
    from cri_api.v1 import api_pb2 as pb

    pod = pod_of(case, str(cri.base / "host-dir"))
    logs = cri.base / "logs" / case.name
    logs.mkdir(parents=True, exist_ok=True)
    sandbox_config, containers = cri_requests(pb, pod, f"{cri.cgroup_parent}/pod{pod.metadata.uid}", str(logs))
    sandbox = cri.runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=sandbox_config), timeout=60).pod_sandbox_id
    cri.pods.append(sandbox)
    for config in containers:
        config.image.image = CTR_IMAGE
        config.command.extend(["/bin/sleep", "3600"])
        created = cri.runtime.CreateContainer(pb.CreateContainerRequest(
            pod_sandbox_id=sandbox, config=config, sandbox_config=sandbox_config), timeout=60).container_id
        cri.runtime.StartContainer(pb.StartContainerRequest(container_id=created), timeout=60)


@pytest.fixture(scope="module")
def pods() -> dict[str, dict]:
    """Pod name -> the report's pod, for every case planted on one private containerd."""
    cri = PrivateCri(lab_dir("hapss-"))
    try:
        cri.start()
        (cri.base / "host-dir").mkdir()
        for case in CASES:
            plant(cri, case)
        done = run_hostaudit("audit", "--format", "json", "--docker-host", f"unix://{cri.base}/no-docker.sock",
                             "--containerd-state", str(cri.state), "--cri-endpoint", f"unix://{cri.socket}")
        yield {p["name"]: p for p in json.loads(done.stdout)["pods"] if p["namespace"] == NS}
    finally:
        cri.stop()
        shutil.rmtree(cri.base, ignore_errors=True)


def _statuses(pod: dict, control: str) -> set[str]:
    """The statuses the report gives `control` for the pod itself and its container `c`."""
    return {c["status"] for c in pod["pss"].get("controls", ()) if c["control"] == control and c["container"] in
            ("", "c")}


@pytest.mark.parametrize("case", [c for c in CASES if c.violates], ids=lambda c: c.name)
def test_a_pod_violating_a_control_is_never_reported_at_its_level(pods, case):
    pod = pods[case.name]
    for control in case.violates:
        level = level_of_control(control)
        assert STRICTNESS[pod["pss"]["level"]] < STRICTNESS[level], (control, pod["pss"])
        assert _statuses(pod, control) & {"fail", "unknown"} and "pass" not in _statuses(pod, control), \
            (control, pod["pss"])


@pytest.mark.parametrize("case", [c for c in CASES if c.meets], ids=lambda c: c.name)
def test_a_pod_meeting_a_control_passes_it(pods, case):
    pod = pods[case.name]
    for control in case.meets:
        assert _statuses(pod, control) and "fail" not in _statuses(pod, control), (control, pod["pss"])
    baseline_violated = {level_of_control(c) for c in case.violates} & {BASELINE}
    if not baseline_violated:  # nothing on the node leaves a baseline control unknown for these pods
        assert pod["pss"]["level"] == BASELINE, pod["pss"]


def test_restricted_is_never_claimed_without_runasnonroot_observed(pods):
    """runAsNonRoot never reaches the node: the restricted pod is proven baseline, with restricted unproven."""
    pss = pods["restricted"]["pss"]
    assert (pss["level"], pss["unproven"]) == (BASELINE, RESTRICTED), pss
    assert {c["control"] for c in pss["unknown"]} >= {"runAsNonRoot", "restrictedVolumes"}
    assert all(c["evidence"].startswith("not observable on a node") for c in pss["unknown"]), pss["unknown"]
