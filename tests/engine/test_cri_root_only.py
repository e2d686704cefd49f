"""Root trusts only root: an unprivileged user's fake kubelet names the user's own CRI server, which lists a real
privileged task of root's containerd as an exited harmless container. The audit takes no inventory from it (its
server is not root: SO_PEERCRED), says so, and the privileged task stays in the report, read from its bundle."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.engine.conftest import needs_engine
from tests.hostile_user import hostile_user
from tests.lab import PrivateContainerd, lab_dir, run_hostaudit

VICTIM = "ha-cri-victim"
FAKE_CRI = """
import sys
sys.path.insert(0, sys.argv[3])
from concurrent import futures
import grpc
from cri_api.v1 import api_pb2 as pb, api_pb2_grpc

class Liar(api_pb2_grpc.RuntimeServiceServicer):
    def Version(self, request, context):
        return pb.VersionResponse(version="0.1.0", runtime_name="containerd", runtime_version="1.6",
                                  runtime_api_version="v1")
    def ListPodSandbox(self, request, context):
        return pb.ListPodSandboxResponse()
    def ListContainers(self, request, context):
        return pb.ListContainersResponse(containers=[pb.Container(id=sys.argv[2], state=2)])
    def ContainerStatus(self, request, context):
        return pb.ContainerStatusResponse(status=pb.ContainerStatus(
            id=request.container_id, state=2, metadata=pb.ContainerMetadata(name="harmless")))

server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
api_pb2_grpc.add_RuntimeServiceServicer_to_server(Liar(), server)
server.add_insecure_port("unix://" + sys.argv[1])
server.start()
server.wait_for_termination()
"""


def _user_copy_of_grpc(home: Path) -> Path:
    """grpc, protobuf and the CRI stubs copied where the user's python finds them (the test's python is root's)."""
    import cri_api
    import google.protobuf
    import grpc
    import typing_extensions

    lib = home / "lib"
    for package in (grpc, cri_api):
        shutil.copytree(Path(package.__file__).parent, lib / package.__name__)
    shutil.copytree(Path(google.protobuf.__file__).parent.parent, lib / "google")
    shutil.copy(typing_extensions.__file__, lib)
    return lib


@needs_engine
def test_a_user_s_kubelet_and_cri_server_do_not_replace_the_node_s_inventory():
    base = lab_dir("hacrio-")
    containerd = PrivateContainerd(base / "containerd")
    try:
        containerd.start()
        containerd.import_oci_image()
        containerd.run(VICTIM, "--privileged")
        with hostile_user() as user:
            socket = user.home / "cri.sock"
            script = user.write("cri_server.py", FAKE_CRI)
            user.spawn(["/usr/bin/python3", str(script), str(socket), VICTIM, str(_user_copy_of_grpc(user.home))],
                       name="cri-server")
            deadline = time.monotonic() + 30
            while not socket.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert socket.exists(), "the user's CRI server did not start"
            kubelet = user.spawn([str(user.binary("kubelet")), "--container-runtime-endpoint", f"unix://{socket}"],
                                 name="kubelet")
            by_user = collect(base / "by-user.json")
            kubelet.kill()
            kubelet.wait()
            # root's own kubelet (a root-owned system binary named kubelet) told to use the user's socket
            root_kubelet = subprocess.Popen(["bash", "-c", 'exec -a kubelet "$@"', "kubelet", "/usr/bin/python3", "-c",
                                             "import time; time.sleep(120)", "--container-runtime-endpoint",
                                             f"unix://{socket}"])
            try:
                wait_for_argv0(root_kubelet.pid, "kubelet")
                by_root = collect(base / "by-root.json")
            finally:
                root_kubelet.kill()
                root_kubelet.wait()
    finally:
        containerd.stop()
        shutil.rmtree(base, ignore_errors=True)
    # the user's kubelet is not believed at all: it names no endpoint, and the report says so
    assert kubelet.pid in {p["pid"] for p in by_user["untrusted_processes"]}
    # root's kubelet naming the user's socket: the server is not root, so its inventory is not taken, and said
    refusal = f"unix://{socket} (kubelet --container-runtime-endpoint): served by uid {user.uid}"
    cri, status = by_root["cri"], by_root["collectors"]["cri"]
    assert refusal in status["message"] or (cri is not None and refusal in cri["endpoint_source"])
    for snapshot in (by_user, by_root):
        cri = snapshot["cri"]
        assert cri is None or cri["endpoint"] != f"unix://{socket}"  # never the user's inventory
        tasks = {c["id"]: c for c in snapshot["containerd"]["containers"]}
        cri_ids = {c["id"] for c in cri["containers"]} if cri else set()
        assert VICTIM in tasks or VICTIM in cri_ids  # the privileged task is audited, not hidden


def collect(out: Path) -> dict:
    run_hostaudit("collect", "--out", str(out), "--docker-host", f"unix://{out.parent}/no-docker.sock")
    return json.loads(out.read_text())


def wait_for_argv0(pid: int, name: str) -> None:
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0] != name.encode():
        assert time.monotonic() < deadline, f"{name} never ran"
        time.sleep(0.01)


@pytest.fixture(autouse=True)
def _python_has_the_cri_client():
    pytest.importorskip("cri_api.v1.api_pb2_grpc")
