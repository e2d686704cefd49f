"""The lean client's reader of Docker's streamed /events, against the standard library's `http.server` on a unix
socket (a server it did not write): events split across chunks, several in one chunk, a line over the bound, a
server that goes quiet, an error status, and the end of the stream."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from hostaudit.collectors._docker_http import MAX_EVENT, DockerAPI, DockerAPIError, ProtocolError
from tests.unit.test_docker_http import Handler, _served

EVENTS = [{"Type": "container", "Action": action, "Actor": {"ID": f"{n:064x}", "Attributes": {"name": "ünï ✓"}},
           "time": 1_700_000_000 + n} for n, action in enumerate(("create", "start", "die", "destroy"))]


class EventHandler(Handler):
    asked: list[dict] = []

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path != "/events":
            self.send_error(404, "no such thing")
            return
        query = parse_qs(url.query)
        EventHandler.asked.append({k: v[0] for k, v in query.items()})
        mode = json.loads(query["filters"][0]).get("mode", ["split"])[0]
        if mode == "refused":
            self.send_error(500, "events unavailable")
            return
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        text = b"".join(json.dumps(e).encode() + b"\n" for e in EVENTS)
        if mode == "split":  # each event cut across chunks, as a proxy may send them
            pieces = [text[i:i + 7] for i in range(0, len(text), 7)]
        elif mode == "long":
            pieces = [b"x" * (MAX_EVENT + 10)]
        elif mode == "whole":  # every event in one chunk
            pieces = [text]
        else:  # quiet: one event, then nothing
            pieces = [json.dumps(EVENTS[0]).encode() + b"\n"]
        for piece in pieces:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.flush()
        if mode == "quiet":
            time.sleep(2)
        self.wfile.write(b"0\r\n\r\n")


@pytest.fixture()
def api(tmp_path) -> Iterator[DockerAPI]:
    EventHandler.asked = []
    yield from _served(str(tmp_path / "docker.sock"), EventHandler)


def test_events_cut_across_chunks_are_read_whole_and_the_stream_ends_with_the_answer(api):
    assert list(api.events({"type": ["container"]}, since=123)) == EVENTS
    assert EventHandler.asked == [{"filters": '{"type":["container"]}', "since": "123"}]


def test_several_events_in_one_chunk_are_each_read(api):
    assert list(api.events({"mode": ["whole"]})) == EVENTS


def test_a_line_over_the_bound_ends_the_stream_with_an_error(api):
    with pytest.raises(ProtocolError, match="longer than"):
        list(api.events({"mode": ["long"]}))


def test_a_quiet_stream_times_out_after_its_idle_time(api):
    stream = api.events({"mode": ["quiet"]}, idle=0.3)
    assert next(stream) == EVENTS[0]
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        next(stream)
    assert time.monotonic() - started < 1.5


def test_an_error_status_is_raised_when_subscribing(api):
    with pytest.raises(DockerAPIError, match="500"):
        api.events({"mode": ["refused"]})
