"""The CRI collector's pure parts: which runtime socket it asks, the pod owner from controller labels, init
containers from the start order, and bounds on the pods' own (hostile) labels."""

from __future__ import annotations

import pytest

from hostaudit.collectors import CollectContext, ProcessEntry
from hostaudit.collectors.cri import MAX_ITEMS, MAX_VALUE, _bounded, endpoints, init_containers, owner_of
from hostaudit.model import ConfigFile, KubeletFacts, Presence


@pytest.mark.parametrize(("name", "labels", "annotations", "owner"), [
    ("web-7d9f8c6b5-x2x9z", {"pod-template-hash": "7d9f8c6b5"}, {}, ("Deployment", "web")),
    ("rs-abcde", {"pod-template-hash": "zzz"}, {}, ("ReplicaSet", "rs")),
    ("db-0", {"controller-revision-hash": "h", "statefulset.kubernetes.io/pod-name": "db-0"}, {},
     ("StatefulSet", "db")),
    ("agent-x8k2p", {"controller-revision-hash": "h", "pod-template-generation": "3"}, {}, ("DaemonSet", "agent")),
    ("backup-q2w3e", {"job-name": "backup"}, {}, ("Job", "backup")),
    ("report-29400000-abcde", {"batch.kubernetes.io/job-name": "report-29400000"}, {}, ("CronJob", "report")),
    ("etcd-node1", {"pod-template-hash": "x"}, {"kubernetes.io/config.source": "file"}, ("", "")),
    ("bare", {}, {}, ("", "")),
])
def test_owner_from_controller_labels(name, labels, annotations, owner):
    assert owner_of(name, labels, annotations)[:2] == owner


def test_init_containers_are_those_that_finished_before_another_started():
    timeline = [("setup", "exited", 10, 20), ("app", "running", 30, 0), ("crashed", "exited", 31, 40),
                ("never", "created", 0, 0)]
    assert init_containers(timeline) == ("setup",)
    assert init_containers([("job", "exited", 10, 20)]) == ()


def test_labels_are_bounded():
    huge = {f"k{i}": "v" * (MAX_VALUE * 4) for i in range(MAX_ITEMS * 2)}
    bounded = _bounded(huge)
    assert len(bounded) == MAX_ITEMS and max(map(len, bounded.values())) == MAX_VALUE


def _context(tmp_path, config: str | None, **extra) -> CollectContext:
    ctx = CollectContext(**extra)
    argv: tuple[str, ...] = ()
    if config is not None:
        path = tmp_path / "config.toml"
        path.write_text(config)
        argv = ("containerd", "--config", str(path))
    ctx.__dict__["processes"] = (ProcessEntry(4242, "containerd", argv),) if argv else ()
    ctx.is_host_process = lambda pid: True  # the made-up containerd stands for root's host process
    ctx.root_doubt = lambda pid: None
    return ctx


def test_endpoint_order_option_then_kubelet_then_containerd(root_tmp_path):
    config = f'[grpc]\n  address = "{root_tmp_path}/c.sock"\n'
    kubelet = KubeletFacts(1, ("kubelet",), {"container-runtime-endpoint": "unix:///run/k.sock"}, None)
    assert endpoints(_context(root_tmp_path, config, cri_endpoint="unix:///x.sock"), kubelet) == [
        ("/x.sock", "--cri-endpoint")]
    assert endpoints(_context(root_tmp_path, config), kubelet)[:2] == [
        ("/run/k.sock", "kubelet --container-runtime-endpoint"),
        (f"{root_tmp_path}/c.sock", f"containerd config {root_tmp_path}/config.toml")]  # if the kubelet's is no root's
    from_file = KubeletFacts(1, ("kubelet",), {}, ConfigFile("/k", Presence.PRESENT,
                                                             data={"containerRuntimeEndpoint": "/run/f.sock"}))
    assert endpoints(_context(root_tmp_path, config), from_file)[0][0] == "/run/f.sock"
    assert endpoints(_context(root_tmp_path, config), None)[0][0] == f"{root_tmp_path}/c.sock"


def test_containerd_with_cri_disabled_is_not_asked(root_tmp_path):
    config = f'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n[grpc]\n  address = "{root_tmp_path}/c.sock"\n'
    assert endpoints(_context(root_tmp_path, config, containerd_state_dirs=("/run/containerd",)), None) == []


@pytest.mark.parametrize(("cgroups_path", "pod", "path"), [
    ("/kubepods/burstable/pod1f2e/0123abcd", "/kubepods/burstable/pod1f2e", "/kubepods/burstable/pod1f2e"),
    ("kubepods-burstable-pod1f2e.slice:cri-containerd:0123abcd", "kubepods-burstable-pod1f2e.slice",
     "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1f2e.slice"),
    ("relative/thing", "", None),
])
def test_pod_cgroup_from_the_sandbox_cgroups_path_either_driver(cgroups_path, pod, path):
    from hostaudit.collectors._cgroup import cgroup_path, pod_cgroup

    assert pod_cgroup(cgroups_path) == pod
    assert (cgroup_path(pod) if pod else None) == path
