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
    config = (f'version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
              f'[grpc]\n  address = "{root_tmp_path}/c.sock"\n')
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


@pytest.fixture()
def cri_server(tmp_path):
    """A CRI v1 server this test starts (grpc on a unix socket) answering the containers that `serve` names as
    (id, state, pid in the verbose info); the runtime spec is empty."""
    import json
    from concurrent import futures

    import grpc
    from cri_api.v1 import api_pb2 as pb
    from cri_api.v1 import api_pb2_grpc

    served: dict[str, tuple[int, int]] = {}

    class Runtime(api_pb2_grpc.RuntimeServiceServicer):
        def Version(self, request, context):
            return pb.VersionResponse(version="0.1.0", runtime_name="containerd", runtime_version="1.6",
                                      runtime_api_version="v1")

        def ListPodSandbox(self, request, context):
            return pb.ListPodSandboxResponse()

        def ListContainers(self, request, context):
            return pb.ListContainersResponse(containers=[pb.Container(id=i, state=s) for i, (s, _) in served.items()])

        def ContainerStatus(self, request, context):
            state, pid = served[request.container_id]
            return pb.ContainerStatusResponse(
                status=pb.ContainerStatus(id=request.container_id, state=state,
                                          metadata=pb.ContainerMetadata(name=request.container_id)),
                info={"info": json.dumps({"pid": pid, "runtimeSpec": {}})})

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    api_pb2_grpc.add_RuntimeServiceServicer_to_server(Runtime(), server)
    socket = tmp_path / "cri.sock"
    server.add_insecure_port(f"unix://{socket}")
    server.start()

    def serve(**containers: tuple[int, int]) -> str:
        served.update(containers)
        return str(socket)

    yield serve
    server.stop(None)


def test_an_exited_container_s_pid_is_not_trusted_for_its_proc_facts(cri_server):
    """The verbose status of an exited container still holds the pid it ran as; the kernel may have given that
    number to another process since (here a live `sleep`): only a running container's pid is the container's."""
    import subprocess

    from hostaudit.collectors.cri import _read_runtime

    other = subprocess.Popen(["sleep", "60"])  # the process now holding the number
    try:
        socket = cri_server(gone=(2, other.pid), live=(1, other.pid), made=(0, other.pid))
        found = {c.pod.container_name: c for c in _read_runtime(socket, "test", 5.0).containers}
    finally:
        other.kill()
        other.wait()
    assert (found["gone"].state, found["gone"].pid) == ("exited", None)
    assert (found["made"].state, found["made"].pid) == ("created", None)
    assert (found["live"].state, found["live"].pid) == ("running", other.pid)
