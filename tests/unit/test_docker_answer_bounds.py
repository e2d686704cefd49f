"""A Docker endpoint (a user's own, say) cannot take the audit's memory or time: a list answer is bounded in the JSON
values it decodes to, not only in bytes, and the inspects of one collector share one time budget, however many
containers are listed and however slowly each answer drips in. The servers are real HTTP servers on unix sockets in
this process; memory is that of a separate Python process (its peak RSS from the kernel, VmHWM of its
/proc/self/status: `getrusage`'s ru_maxrss would carry the forking test process's peak across exec)."""

from __future__ import annotations

import json
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from hostaudit.collectors import CollectContext, PartialFacts
from hostaudit.collectors import containers as containers_collector
from hostaudit.collectors._budget import BUDGET_CALLS
from hostaudit.collectors._docker_http import MAX_LIST_RESPONSE

Answer = Callable[[str, socketserver.StreamRequestHandler], None]


def _send(handler: socketserver.StreamRequestHandler, body: bytes) -> None:
    handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
    handler.wfile.write(body)


def _handler(answer: Answer) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            while True:  # keep-alive: one request after another
                request = self.rfile.readline().decode().split(" ")
                if len(request) < 2:
                    return
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                try:
                    answer(request[1], self)
                except OSError:
                    return

    return Handler


@pytest.fixture
def serve(tmp_path) -> Iterator[Callable[[Answer], str]]:
    """Start a fake Docker endpoint answering with `answer`; its URL."""
    servers = []

    def start(answer: Answer) -> str:
        path = tmp_path / f"docker{len(servers)}.sock"
        server = socketserver.ThreadingUnixStreamServer(str(path), _handler(answer))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"unix://{path}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _empty_objects(size: int) -> bytes:
    count = (size - 2) // 3
    return b"[" + b"{}," * (count - 1) + b"{}]"


CHILD = """
import sys
from hostaudit.collectors import CollectContext, CollectorError
from hostaudit.collectors.containers import endpoint_containers
try:
    endpoint_containers(CollectContext(docker_host=sys.argv[1], docker_timeout=60))
    print("read")
except CollectorError as exc:
    print("refused:", exc)
print(next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")) // 1024)
"""


@pytest.mark.parametrize("size", [127 << 20, MAX_LIST_RESPONSE - 4096])
def test_a_list_of_millions_of_empty_objects_is_refused_without_decoding_them(serve, size):
    """The issue's 127 MiB `[{},...]` (3.4 GB once decoded), and one just under the list's byte bound."""
    body = _empty_objects(size)

    def answer(path: str, handler: socketserver.StreamRequestHandler) -> None:
        _send(handler, b"OK" if path == "/_ping" else body)

    url = serve(answer)
    done = subprocess.run([sys.executable, "-c", CHILD, url], capture_output=True, text=True, timeout=120, check=True)
    outcome, peak_mib = done.stdout.splitlines()
    assert outcome.startswith("refused:") and ("larger than" in outcome or "JSON values" in outcome), outcome
    assert int(peak_mib) < 250, f"peak RSS {peak_mib} MiB"


def _listing(count: int) -> bytes:
    return json.dumps([{"Id": f"{i:064x}"} for i in range(count)]).encode()


def test_dripped_inspects_end_within_the_collector_s_budget_the_rest_reported(serve):
    """96 inspects, each answered completely but dripped over 0.8 of the per-call timeout: run 4 at a time they
    would take 20 s; the collector stops at its budget and names what it could not read."""
    timeout, count = 1.0, 96
    answered: list[str] = []

    def answer(path: str, handler: socketserver.StreamRequestHandler) -> None:
        if path == "/_ping":
            _send(handler, b"OK")
        elif path.startswith("/containers/json"):
            _send(handler, _listing(count))
        else:
            container_id = path.split("/")[2]
            body = json.dumps({"Id": container_id, "Name": f"/c{container_id[-3:]}"}).encode()
            head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body)
            for last, piece in ((False, head), (False, body[:10]), (True, body[10:])):
                time.sleep(0.8 * timeout / 3)
                if last:
                    answered.append(container_id)
                handler.wfile.write(piece)
                handler.wfile.flush()

    ctx = CollectContext(docker_host=serve(answer), docker_timeout=timeout, workers=4)
    started = time.monotonic()
    with pytest.raises(PartialFacts) as raised:
        containers_collector.endpoint_containers(ctx)
    elapsed = time.monotonic() - started
    assert elapsed < BUDGET_CALLS * timeout + 1.0
    found = raised.value.facts
    assert 0 < len(found) < count
    assert {c.id for c in found} <= set(answered)  # every container kept was really answered
    assert f"{count - len(found)} of {count} inspects failed" in str(raised.value)
    assert "time budget" in str(raised.value)


def test_a_list_longer_than_the_bound_is_cut_and_said(serve, monkeypatch):
    monkeypatch.setattr(containers_collector, "MAX_LISTED", 5)

    def answer(path: str, handler: socketserver.StreamRequestHandler) -> None:
        if path == "/_ping":
            _send(handler, b"OK")
        elif path.startswith("/containers/json"):
            _send(handler, _listing(8))
        else:
            _send(handler, json.dumps({"Id": path.split("/")[2], "Name": f"/c{path.split('/')[2][-1]}"}).encode())

    ctx = CollectContext(docker_host=serve(answer), docker_timeout=2.0)
    with pytest.raises(PartialFacts) as raised:
        containers_collector.endpoint_containers(ctx)
    assert sorted(c.name for c in raised.value.facts) == [f"c{i}" for i in range(5)]
    assert "8 containers listed, only the first 5 are audited" in str(raised.value)


def test_the_child_measures_memory_with_the_kernel_s_peak_rss(tmp_path):
    """The oracle of the memory test: a child that builds 200 MB is seen to, and one that does not is not."""
    measure = CHILD.split("try:")[0] + CHILD.splitlines()[-1] + "\n"
    small = int(subprocess.run([sys.executable, "-c", measure, ""], capture_output=True, text=True,
                               check=True).stdout)
    big = int(subprocess.run([sys.executable, "-c", "x = b'x' * (200 << 20)\n" + measure, ""], capture_output=True,
                             text=True, check=True).stdout)
    assert small < 100 <= 200 <= big
