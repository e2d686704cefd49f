"""A CRI server cannot take the audit's time or memory: its status calls run concurrently and end within one time
budget for the collector, the rest named; a list of more entries than MAX_OBJECTS is cut before it is decoded, and
said. The server is a real gRPC server on a unix socket (the `container-runtime-interface-api` stubs), root's (this
test's), so the collector accepts it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent import futures

import pytest

grpc = pytest.importorskip("grpc")
pb = pytest.importorskip("cri_api.v1.api_pb2")
api_pb2_grpc = pytest.importorskip("cri_api.v1.api_pb2_grpc")

from hostaudit.collectors import CollectContext, PartialFacts, cri  # noqa: E402
from hostaudit.collectors._budget import BUDGET_CALLS  # noqa: E402

TIMEOUT = 1.0


class SlowRuntime(api_pb2_grpc.RuntimeServiceServicer):
    """`count` containers; each status answered after `delay` seconds."""

    def __init__(self, count: int, delay: float) -> None:
        self.count, self.delay = count, delay
        self.answered: list[str] = []
        self.lock = threading.Lock()

    def Version(self, request, context):
        return pb.VersionResponse(runtime_name="fake", runtime_version="1", runtime_api_version="v1")

    def ListPodSandbox(self, request, context):
        return pb.ListPodSandboxResponse()

    def ListContainers(self, request, context):
        return pb.ListContainersResponse(containers=[pb.Container(id=f"{i:064x}") for i in range(self.count)])

    def ContainerStatus(self, request, context):
        time.sleep(self.delay)
        with self.lock:
            self.answered.append(request.container_id)
        return pb.ContainerStatusResponse(status=pb.ContainerStatus(
            id=request.container_id, state=2, metadata=pb.ContainerMetadata(name=request.container_id[-4:])))


@pytest.fixture
def serve(tmp_path) -> Iterator:
    servers = []

    def start(servicer: SlowRuntime) -> str:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=64))
        api_pb2_grpc.add_RuntimeServiceServicer_to_server(servicer, server)
        path = tmp_path / f"cri{len(servers)}.sock"
        server.add_insecure_port(f"unix://{path}")
        server.start()
        servers.append(server)
        return f"unix://{path}"

    yield start
    for server in servers:
        server.stop(0)


def _collect(endpoint: str) -> tuple[BaseException | object, float]:
    """The collector's outcome within 20 s (a sequential one would take minutes), and its time."""
    box: list = []

    def run() -> None:
        try:
            box.append(cri.collect(CollectContext(cri_endpoint=endpoint, cri_timeout=TIMEOUT), None))
        except BaseException as exc:
            box.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(20)
    assert not worker.is_alive(), "the CRI collector still runs after 20 s"
    return box[0], time.monotonic() - started


def test_slow_statuses_are_concurrent_and_end_within_the_budget(serve):
    """200 statuses of 0.9 s each: sequential, 180 s; the collector ends at its budget with those answered."""
    runtime = SlowRuntime(200, 0.9 * TIMEOUT)
    outcome, elapsed = _collect(serve(runtime))
    assert elapsed < BUDGET_CALLS * TIMEOUT + 1.5
    assert isinstance(outcome, PartialFacts)
    read = {c.id for c in outcome.facts.containers}
    assert len(read) >= 16 and read <= set(runtime.answered)
    assert len(outcome.facts.errors) == 200 - len(read)
    assert any("time budget" in e or "DEADLINE_EXCEEDED" in e for e in outcome.facts.errors)


def test_a_list_longer_than_the_bound_is_cut_before_decoding_and_said(serve, monkeypatch):
    monkeypatch.setattr(cri, "MAX_OBJECTS", 50)
    runtime = SlowRuntime(2000, 0)
    outcome, _ = _collect(serve(runtime))
    assert isinstance(outcome, PartialFacts)
    assert len(outcome.facts.containers) == 50 and len(runtime.answered) == 50
    assert "ListContainers: more than 50 entries, only the first 50 are audited" in outcome.facts.errors
