"""Pod Security Standards control by control, on real CRI pods: each pod of tests/pss_pods.py (a V1Pod that meets or
violates one control of the latest PSS version) is sent to a private containerd the way kubelet sends it, and
audited through the CLI. The oracle is the upstream verdict written beside each pod, never hostaudit's code: a pod
that violates a control is never reported at that control's level or stricter, and one that meets it gets a `pass`
for that control (or an honest `unknown`), never a `fail`."""

from __future__ import annotations

import json

import pytest

from tests.cri_lab import cni_available, has_cri_client
from tests.lab import run_hostaudit
from tests.pss_pods import BASELINE, CASES, NS, RESTRICTED, assert_upstream_verdict, pss_lab

pytestmark = pytest.mark.skipif(not has_cri_client() or not cni_available(),
                                reason="needs containerd, the CRI client and the CNI plugins")


@pytest.fixture(scope="module")
def pods() -> dict[str, dict]:
    """Pod name -> the report's pod, for every case planted on one private containerd."""
    with pss_lab() as cri:
        done = run_hostaudit("audit", "--format", "json", "--docker-host", f"unix://{cri.base}/no-docker.sock",
                             "--containerd-state", str(cri.state), "--cri-endpoint", f"unix://{cri.socket}")
        yield {p["name"]: p for p in json.loads(done.stdout)["pods"] if p["namespace"] == NS}


@pytest.mark.parametrize("case", [c for c in CASES if c.violates], ids=lambda c: c.name)
def test_a_pod_violating_a_control_is_never_reported_at_its_level(pods, case):
    assert_upstream_verdict(case, pods[case.name]["pss"])


@pytest.mark.parametrize("case", [c for c in CASES if c.meets], ids=lambda c: c.name)
def test_a_pod_meeting_a_control_passes_it(pods, case):
    assert_upstream_verdict(case, pods[case.name]["pss"])


def test_restricted_is_never_claimed_without_runasnonroot_observed(pods):
    """runAsNonRoot never reaches the node: the restricted pod is proven baseline, with restricted unproven."""
    pss = pods["restricted"]["pss"]
    assert (pss["level"], pss["unproven"]) == (BASELINE, RESTRICTED), pss
    assert {c["control"] for c in pss["unknown"]} >= {"runAsNonRoot", "restrictedVolumes"}
    assert all(c["evidence"].startswith("not observable on a node") for c in pss["unknown"]), pss["unknown"]
