"""hostaudit.pss control by control, over a snapshot recorded from real CRI pods (`python -m
tests.record_pss_snapshot`): each pod of tests/pss_pods.py meets or violates one control of the latest Pod Security
Standards, and the upstream verdict written beside it is the oracle. The engine test tests/engine/test_pss_controls.py
runs the same cases live."""

from __future__ import annotations

import dataclasses

import pytest

from hostaudit import catalog, engine, pss, report
from hostaudit.model import Status
from hostaudit.serde import to_jsonable
from tests.pss_pods import BASELINE, CASES, NS, RESTRICTED, assert_upstream_verdict
from tests.unit.conftest import load

SNAPSHOT = "pss/cri-pods-one-control-each.json"


@pytest.fixture(scope="module")
def snapshot():
    return load(SNAPSHOT)


def _pods(snapshot) -> dict[str, dict]:
    """Pod name -> its `pss` as the JSON report writes it."""
    summaries = report.pod_summaries(snapshot, engine.evaluate(snapshot, catalog.load()))
    return {p.name: to_jsonable(p.pss) for p in summaries if p.namespace == NS}


@pytest.fixture(scope="module")
def pods(snapshot) -> dict[str, dict]:
    return _pods(snapshot)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_each_control_as_upstream_judges_the_pod(pods, case):
    assert_upstream_verdict(case, pods[case.name])


def test_default_pod_is_baseline_though_containerd_grants_net_raw(snapshot, pods):
    (ctr,) = [c for c in snapshot.cri.containers if c.name == f"{NS}/default/c"]
    assert "NET_RAW" in (ctr.bounding_caps or ())  # the runtime's default, added by no one
    assert pods["default"]["level"] == BASELINE


def test_restricted_is_left_unproven_and_says_why(pods):
    found = pods["restricted"]
    assert (found["level"], found["unproven"]) == (BASELINE, RESTRICTED)
    # RuntimeDefault on the wire: explicit, or kubelet's seccompDefault filling an unset profile (not known here)
    assert {c["control"] for c in found["unknown"]} == {"runAsNonRoot", "restrictedVolumes",
                                                        "seccompProfile_restricted"}
    assert all(c["evidence"].startswith("not observable on a node: ") for c in found["unknown"])


def test_a_failing_control_names_the_field_and_value(pods):
    evidence = {(c["control"], c["evidence"]) for c in pods["add-cap-chown"]["failing"]}
    assert any(control == "capabilities_baseline" and "CAP_CHOWN" in text for control, text in evidence)
    assert "18080" in next(c["evidence"] for c in pods["host-port"]["failing"] if c["control"] == "hostPorts")
    assert "spc_t" in next(c["evidence"] for c in pods["selinux-type"]["failing"] if c["control"] == "seLinuxOptions")


def test_explicit_unconfined_seccomp_fails_baseline_on_a_seccomp_default_kubelet(snapshot):
    """With kubelet's seccompDefault on, an unset profile reaches the node as RuntimeDefault: Unconfined is explicit."""
    assert pods_on_kubelet(snapshot, {"seccompDefault": True})["seccomp-unconfined"]["level"] == "privileged"
    statuses = {c["status"] for c in pods_on_kubelet(snapshot, {"seccompDefault": True})["seccomp-unconfined"]
                ["controls"] if c["control"] == "seccompProfile_baseline"}
    assert statuses == {Status.FAIL.value}
    unknown = {c["status"] for c in pods_on_kubelet(snapshot, {})["seccomp-unconfined"]["controls"]
               if c["control"] == "seccompProfile_baseline"}
    assert unknown == {Status.UNKNOWN.value}  # a default kubelet sends Unconfined for an unset profile too


def pods_on_kubelet(snapshot, config: dict | None, error: str | None = None) -> dict[str, dict]:
    """The pods' `pss` on a node whose running kubelet reads `config` (None: its file could not be used)."""
    from hostaudit.model import ConfigFile, KubeletFacts, Presence

    kubelet = KubeletFacts(4242, ("kubelet", "--config", "/k.yaml"), {"config": "/k.yaml"},
                           ConfigFile("/k.yaml", Presence.PRESENT, error=error, data=config))
    return _pods(dataclasses.replace(snapshot, kubelet=kubelet))


def test_a_kubelet_file_that_cannot_be_used_leaves_seccomp_unknown(snapshot):
    """An unreadable --config says nothing about seccompDefault: Unconfined stays unknown, RuntimeDefault too."""
    pods = pods_on_kubelet(snapshot, None, "permission denied")
    for name, control in (("seccomp-unconfined", "seccompProfile_baseline"),
                          ("restricted", "seccompProfile_restricted")):
        assert {c["status"] for c in pods[name]["controls"] if c["control"] == control} == {"unknown"}
    without = pods_on_kubelet(snapshot, {})  # seccompDefault off: RuntimeDefault on the wire was asked for
    assert {c["status"] for c in without["restricted"]["controls"] if c["control"] == "seccompProfile_restricted"} \
        == {"pass"}


def test_control_ids_are_the_upstream_check_ids():
    upstream = {"privileged", "hostNamespaces", "hostPorts", "hostPathVolumes", "capabilities_baseline",
                "capabilities_restricted", "appArmorProfile", "seLinuxOptions", "procMount", "procMount_restricted",
                "seccompProfile_baseline", "seccompProfile_restricted", "sysctls", "allowPrivilegeEscalation",
                "runAsNonRoot", "runAsUser", "restrictedVolumes", "windowsHostProcess", "hostProbesAndhostLifecycle"}
    assert set(pss.LEVEL_OF) == upstream


def test_a_huge_add_list_is_bounded_in_the_evidence(snapshot):
    """The add list is the pod author's: a thousand long names still give one bounded, failing control."""
    (ctr,) = [c for c in snapshot.cri.containers if c.name == f"{NS}/add-sys-admin/c"]
    context = {**ctr.cri_security_context, "capabilities": {"add_capabilities": ["X" * 5000] * 1000}}
    (pod,) = [p for p in snapshot.cri.pods if p.name == "add-sys-admin"]
    found = {c.control: c for c in pss.container_controls(snapshot, pod, dataclasses.replace(
        ctr, cri_security_context=context), {})}
    assert found["capabilities_baseline"].status is Status.FAIL
    assert len(found["capabilities_baseline"].evidence) <= pss.MAX_EVIDENCE
