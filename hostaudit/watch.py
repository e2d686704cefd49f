"""`hostaudit watch`: judge each container as its engine reports it created, started, updated or re-configured.

Host facts are collected as by the audit (`engine.collect`), once at start, every `host_every` seconds and at once
when an engine restarts, in a thread of their own while the containers go on being judged over the previous ones;
the host and daemon checks are evaluated over them then. One thread per Docker endpoint
(`containers.endpoints`: the same engines, with the same trust rule, as the audit) follows its `/events`; its
readers (`READERS` at once, one read of a container at a time, the last event's always after it) inspect each
container an event names and read its /proc, and hand the container to the main thread, which runs the
audit (`engine.audit`, the same checks, escape verdict and waivers) over the host facts and that container alone.
A CRI runtime's containers are polled (`CriPoller`, with the audit's CRI collector) and judged with their pod;
Podman's, in root's and each user's libpod storage, are polled with the audit's Podman collector (`PodmanPoller`).
A line is written when the verdict or the failing checks of a container change. The watch writes nothing else to
the host than its output and Prometheus files.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hostaudit.model import (
    CollectorState,
    CollectorStatus,
    Container,
    CriFacts,
    PodmanFacts,
    ProcessFacts,
    Result,
    Snapshot,
    container_subject,
)
from hostaudit.severity import Severity

if TYPE_CHECKING:
    from hostaudit.collectors.containers import Endpoint

CHANGES = frozenset({"create", "start", "restart", "update", "rename", "unpause", "die", "destroy"})
GONE = "destroy"
FIRST_BACKOFF = 0.1  # seconds before the first reconnection; doubled after each failure, up to MAX_BACKOFF
MAX_BACKOFF = 4.0
IDLE = 300.0  # seconds without an event after which the stream is re-opened (from the last event seen)
MAX_JOINED = 10  # containers followed through `container:<x>` namespace modes
CONTAINED = "contained"
OUTPUT_MAX_BYTES = 16 * 2**20
PROMETHEUS_EVERY = 1.0  # seconds between rewrites of the Prometheus file, however many lines were written
READERS = 8  # containers of one engine read at once: an inspect waits while the daemon starts that container
READ_TRIES = 3  # inspects of a container before it is reported unreadable (a busy daemon times one out)
POLL_SPACING = 4  # a Podman poll starts at least this many times its predecessor's duration after its end


@dataclass(frozen=True)
class Observation:
    """A container as an event left it (None once it is removed), with its init process's facts when running."""

    engine: str
    event: str
    key: str
    container: Container | None
    process: ProcessFacts | None = None
    error: str | None = None  # why the container could not be read
    cri: CriFacts | None = None  # for a CRI container: the poll that found it (its pod, the pod's members)
    companions: dict[str, ProcessFacts] = dataclasses.field(default_factory=dict)  # /proc of its pod's members
    podman: PodmanFacts | None = None  # for a Podman container: the poll that found it (the stores read)


@dataclass(frozen=True)
class HostRefresh:
    """A request to collect the host facts again (an engine restarted)."""

    reason: str


@dataclass(frozen=True)
class HostFacts:
    """A collection of the host facts, done: the snapshot and the Docker endpoints to follow, or why it failed."""

    reason: str
    seconds: float
    snapshot: Snapshot | None = None
    endpoints: tuple[Endpoint, ...] = ()
    error: str | None = None


STOP, RELOAD = "stop", "reload"  # what the signal handlers put on the main thread's queue


def say(message: str) -> None:
    """One line on stderr, for the journal; every value in it passes the terminal sanitizer."""
    from hostaudit.sanitize import terminal

    print(f"hostaudit watch: {terminal(message)}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- Docker

class DockerFollower(threading.Thread):
    """Follows one Docker endpoint's container events; reconnects with backoff and, after any break, lists the
    containers again so that none started meanwhile is missed. The containers the events name are read by a pool
    of readers: the daemon answers an inspect only once a start it is running ends, so one container's start must
    not hold up the others'."""

    def __init__(self, endpoint: Endpoint, timeout: float, out: queue.SimpleQueue, stop: threading.Event,
                 idle: float = IDLE) -> None:
        super().__init__(name=f"watch:{endpoint.url}", daemon=True)
        self.endpoint, self.timeout, self.out, self.stop, self.idle = endpoint, timeout, out, stop, idle
        self.label = f"docker:{endpoint.url.removeprefix('unix://')}"
        self.keys: dict[str, str] = {}  # container id -> subject key, for the containers judged
        self.up = False
        self._api: Any = None  # the client of the current connection, which the readers use
        self._lock = threading.Lock()
        self._reading: dict[str, str | None] = {}  # container id being read -> the event to read it again for
        self._readers: Any = None

    def _address(self) -> str | tuple[str, int]:
        from hostaudit.collectors._docker import _plain_tcp, unix_path

        address = unix_path(self.endpoint.url) or _plain_tcp(self.endpoint.url)
        if address is None:
            raise ValueError(f"{self.endpoint.url}: the watch follows unix sockets and plain TCP endpoints only")
        return address

    def _server_pid(self, address: str | tuple[str, int]) -> int | None:
        """The pid serving a unix socket; ConnectionError when a verified engine's socket is now served by
        another user (the trust rule of docker_engines, applied on every connection)."""
        from hostaudit.collectors._docker import peer_credentials

        if not isinstance(address, str):
            return None
        peer = peer_credentials(address, self.timeout)
        if peer is None:
            raise ConnectionError(f"{address}: no socket answering")
        engine = self.endpoint.engine
        if engine is not None and peer[1] != engine.uid:
            raise ConnectionError(f"{address}: served by uid {peer[1]}, not by the engine's uid {engine.uid}")
        return peer[0]

    def run(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        try:
            address = self._address()
        except ValueError as exc:
            say(str(exc))
            return
        self._readers = ThreadPoolExecutor(READERS, thread_name_prefix=f"{self.name}:read")
        try:
            self._follow(address)
        finally:
            self._readers.shutdown(wait=False, cancel_futures=True)

    def _follow(self, address: str | tuple[str, int]) -> None:
        from hostaudit.collectors._docker import reason
        from hostaudit.collectors._docker_http import DockerAPI

        backoff, server, since, relist = FIRST_BACKOFF, None, None, True
        while not self.stop.is_set():
            api = self._api = DockerAPI(address, self.timeout)
            opened = time.monotonic()
            try:
                pid = self._server_pid(address)
                if server is not None and pid != server:
                    self.out.put(HostRefresh(f"{self.label} restarted (pid {server} -> {pid})"))
                    relist = True
                server = pid
                stream = api.events({"type": ["container"]}, since, self.idle)  # open: list after it
                if not self.up:
                    say(f"{self.label}: following its events")
                self.up = True
                if relist:
                    self._list(api)
                    relist = False
                for event in stream:
                    since = self._handle(event) or since
                    if self.stop.is_set():
                        return
                raise ConnectionError("the daemon ended its event stream")
            except TimeoutError:
                since = since or int(time.time()) - 1  # idle: re-open from where it was, nothing to list
                continue
            except Exception as exc:  # unreachable, refused, gone, ended, malformed: reconnect later, list again
                if self.up:
                    say(f"{self.label}: lost ({reason(exc)}); reconnecting")
                self.up, relist, since = False, True, None
            finally:
                api.close()
            if time.monotonic() - opened > 10 * MAX_BACKOFF:
                backoff = FIRST_BACKOFF  # it had been working for a while: this is a new outage
            self.stop.wait(backoff)  # never a busy loop, even on a server that accepts and hangs up at once
            backoff = min(backoff * 2, MAX_BACKOFF)

    def _list(self, api: Any) -> None:
        from hostaudit.collectors.containers import MAX_LISTED

        listed = api.containers(all=True, trunc=False)
        ids = [c["Id"] for c in listed if isinstance(c, dict) and isinstance(c.get("Id"), str)] \
            if isinstance(listed, list) else []
        listed = set(ids)
        with self._lock:
            gone = [container_id for container_id in self.keys if container_id not in listed]
        for container_id in gone:  # removed while the stream was down
            self._read(container_id, GONE)
        for container_id in ids[:MAX_LISTED]:
            self._read(container_id, "list")

    def _handle(self, event: Any) -> int | None:
        """Judge the container an event names, when it can change a verdict; the event's time (Unix seconds)."""
        if not isinstance(event, dict) or event.get("Type") != "container":
            return None
        action, actor = event.get("Action"), event.get("Actor")
        container_id = actor.get("ID") if isinstance(actor, dict) else None
        when = event.get("time")
        if action in CHANGES and isinstance(container_id, str) and container_id:
            self._read(container_id, action)
        return when if isinstance(when, int) and not isinstance(when, bool) else None

    def _read(self, container_id: str, event: str) -> None:
        """Have a reader read the container for `event`; while one reads it, once more after it, for the latest
        event (a read never overtakes another of the same container, and none is older than the last event)."""
        with self._lock:
            if container_id in self._reading:
                self._reading[container_id] = event
                return
            self._reading[container_id] = None
        self._readers.submit(self._reader, container_id, event)

    def _reader(self, container_id: str, event: str) -> None:
        while True:
            try:
                self._observe(container_id, event)
            finally:  # its turn ends even on an error: the container stays readable
                with self._lock:
                    again = self._reading.pop(container_id)
                    if again is not None:
                        self._reading[container_id] = None
            if again is None:
                return
            event = again

    def _observe(self, container_id: str, event: str) -> None:
        from hostaudit.collectors._docker import reason
        from hostaudit.collectors.normalize import from_docker
        from hostaudit.collectors.runtime import read_process

        try:
            found = None if event == GONE else self._inspect(container_id)
            ctr = None if found is None else self.endpoint.own((from_docker(found),))[0]
        except Exception as exc:
            self.out.put(Observation(self.label, event, self.keys.get(container_id, f"docker-id:{container_id}"),
                                     None, error=f"cannot be read: {reason(exc)}"))
            return
        if ctr is None:  # removed (before it could be read): nothing left to judge
            with self._lock:
                key = self.keys.pop(container_id, None)
            if key is not None:
                self.out.put(Observation(self.label, GONE, key, None))
            return
        key = container_subject(ctr).key  # the subject key of the audit's results (bounded)
        with self._lock:
            self.keys[container_id] = key
        self.out.put(Observation(self.label, event, key, ctr, read_process(ctr.pid) if ctr.pid else None))

    def _inspect(self, container_id: str) -> dict | None:
        """The container as the daemon describes it; None when the daemon no longer has it. A daemon that does not
        answer (busy, or restarting: its stream then breaks and the follower lists again) is asked READ_TRIES
        times, 0.2 s and then 0.8 s apart."""
        from hostaudit.collectors._docker import is_not_found
        from hostaudit.collectors._docker_http import expect_shape

        for attempt in range(READ_TRIES):
            try:
                return expect_shape(self._api.inspect_container(container_id), dict,
                                    f"/containers/{container_id}/json")
            except Exception as exc:
                if is_not_found(exc):
                    return None
                if not isinstance(exc, OSError) or attempt + 1 == READ_TRIES or self.stop.wait(0.2 * 4**attempt):
                    raise
        return None


class CriPoller(threading.Thread):
    """Lists a CRI runtime's containers every `every` seconds (containerd 1.6 has no GetContainerEvents) with the
    audit's CRI collector, within its time budget, and hands over each container that is new or changed, and each
    one gone."""

    def __init__(self, endpoint: str, kubelet: Any, timeout: float, every: float, out: queue.SimpleQueue,
                 stop: threading.Event) -> None:
        super().__init__(name=f"watch:{endpoint}", daemon=True)
        self.endpoint, self.kubelet, self.timeout, self.every, self.out, self.stop = \
            endpoint, kubelet, timeout, every, out, stop
        self.label = f"cri:{endpoint.removeprefix('unix://')}"
        self.up = False

    def _poll(self) -> CriFacts:
        from hostaudit.collectors import CollectContext, PartialFacts, cri

        try:
            return cri.collect(CollectContext(cri_endpoint=self.endpoint, cri_timeout=self.timeout), self.kubelet)
        except PartialFacts as exc:  # the containers whose status was read are still judged
            return exc.facts  # type: ignore[return-value]

    def run(self) -> None:
        from hostaudit.collectors.runtime import read_process

        last: dict[str, Container] = {}
        while True:
            try:
                facts = self._poll()
            except Exception as exc:  # unreachable, refused, not root's: try again at the next poll
                if self.up:
                    say(f"{self.label}: lost ({exc}); polling again")
                self.up = False
            else:
                if not self.up:
                    say(f"{self.label}: polling its containers every {self.every:g} s")
                self.up = True
                current = {container_subject(c).key: c for c in facts.containers if not c.is_sandbox}
                for key, ctr in current.items():
                    if last.get(key) == ctr:
                        continue
                    members = [c for c in facts.containers if c.pod and ctr.pod and c.key != ctr.key
                               and c.pod.sandbox_id == ctr.pod.sandbox_id]
                    self.out.put(Observation(self.label, "update" if key in last else "create", key, ctr,
                                             read_process(ctr.pid) if ctr.pid else None, cri=facts,
                                             companions={c.key: read_process(c.pid) for c in members if c.pid}))
                for key in last.keys() - current.keys():
                    self.out.put(Observation(self.label, GONE, key, None))
                last = current
            if self.stop.wait(self.every):
                return


class PodmanPoller(threading.Thread):
    """Looks at root's and each user's libpod storage every `every` seconds and, when a file the audit's Podman
    collector reads changed (`podman.store_state`) or a container's process ended, reads it with that collector (the
    same roots, trust rule and bounds; no event stream exists for created containers), and hands over each container
    that is new or changed, and each one gone. Each poll runs in a thread of its own, waited for at most `budget`
    seconds; one past it is left to end before the next starts. Polls are POLL_SPACING times their duration apart at
    least, so whatever a user's store holds, the poller spends at most a fifth of a core on it."""

    def __init__(self, roots: tuple[str, ...], budget: float, every: float, out: queue.SimpleQueue,
                 stop: threading.Event) -> None:
        super().__init__(name="watch:podman", daemon=True)
        self.roots, self.budget, self.every, self.out, self.stop = roots, budget, every, out, stop
        self.label = "podman"
        self.up = False
        self._problem = ""  # the last poll's error, said once

    def run(self) -> None:
        from hostaudit import engine
        from hostaudit.collectors import CollectContext, podman
        from hostaudit.collectors._fs import host_exists

        last: dict[str, Container] = {}
        known: tuple = ()  # the stores' state at the last read delivered
        reading: engine.Bounded | None = None
        took = 0.0

        def poll(pids: list[int], seen: list[tuple]) -> PodmanFacts | None:
            """The stores' containers; None when nothing the collector reads changed since `known`."""
            ctx = CollectContext(podman_roots=self.roots)
            (files, settled), alive = podman.store_state(ctx), [pid for pid in pids if host_exists(f"/proc/{pid}")]
            seen.append((files, alive))
            return None if settled and seen[0] == known else podman.collect(ctx)

        while True:
            if reading is None or reading.finished():
                started, seen = time.monotonic(), []
                pids = [c.pid for c in last.values() if c.pid]
                reading = engine.Bounded("podman", functools.partial(poll, pids, seen), self.budget)
                facts, status = reading.result()
                if facts is not None or status.state is not CollectorState.OK:  # read, or could not be
                    last = self._hand_over(facts, status, last)
                    delivered = reading.finished() and (facts is not None or status.state is CollectorState.SKIPPED)
                    known = seen[0] if delivered else ()  # after a poll that failed, the next one reads
                took = time.monotonic() - started
            if self.stop.wait(max(self.every, POLL_SPACING * took)):
                return

    def _hand_over(self, facts: PodmanFacts | None, status: CollectorStatus,
                   last: dict[str, Container]) -> dict[str, Container]:
        """Put an Observation for each container new or changed since `last`, and for each one gone; the containers
        now known. A store that could not be read keeps its user's containers as they were: unread is not gone."""
        from hostaudit.collectors.runtime import read_process

        if status.message != self._problem:
            say(status.message or "podman: every store read again")
            self._problem = status.message
        if facts is None and status.state is not CollectorState.SKIPPED:  # out of time, or a bug: nothing known
            self.up = False
            return last
        if not self.up:
            say(f"podman: reading its stores every {self.every:g} s")
        self.up = True
        facts = facts or PodmanFacts((), ())  # skipped: no libpod storage on the host
        unread = {s.owner_uid for s in facts.stores if s.error}
        current = {container_subject(c).key: c for c in facts.containers}
        for key, ctr in current.items():
            if last.get(key) != ctr:
                self.out.put(Observation(f"podman:{ctr.owner}", "update" if key in last else "create", key, ctr,
                                         read_process(ctr.pid) if ctr.pid else None, podman=facts))
        kept = {key: ctr for key, ctr in last.items() if key not in current and ctr.owner_uid in unread}
        for key in last.keys() - current.keys() - kept.keys():
            self.out.put(Observation(f"podman:{last[key].owner}", GONE, key, None))
        return {**kept, **current}


# ---------------------------------------------------------------- judging

def _joined(ctr: Container, seen: dict[str, Observation]) -> list[Container]:
    """The containers of the same engine user whose namespaces `ctr` joins (`container:<x>`), transitively: the
    checks that follow such a chain need them beside it."""
    found: list[Container] = []
    todo = [ctr]
    while todo and len(found) < MAX_JOINED:
        current = todo.pop()
        for mode in current.namespaces.values():
            ref = mode.split(":", 1)[1] if mode.startswith("container:") else ""
            for other in (o.container for o in seen.values() if o.container is not None):
                if ref and (other.source, other.owner_uid) == (ctr.source, ctr.owner_uid) and other.key != ctr.key \
                        and other not in found and (
                        other.id == ref or other.name == ref.lstrip("/")
                        or (len(ref) >= 12 and other.id.startswith(ref))):
                    found.append(other)
                    todo.append(other)
    return found[:MAX_JOINED]


def subject_snapshot(host: Snapshot, obs: Observation, joined: list[Container]) -> Snapshot:
    """The host's facts with the observed container (and the Docker containers it joins, or its pod's members) as
    the only containers, each where the audit puts its engine's: they and their /proc were just read, so their
    sources are ok whatever the last host collection said of other containers."""
    ctr = obs.container
    assert ctr is not None
    runtime = {**obs.companions, **({ctr.key: obs.process} if obs.process is not None else {})}
    fresh = {name: CollectorStatus(name, CollectorState.OK, "", 0.0)
             for name in ("containers", "runtime", *(("cri",) if obs.cri is not None else ()),
                          *(("podman",) if obs.podman is not None else ()))}
    cri = None
    if obs.cri is not None and ctr.pod is not None:
        members = tuple(c for c in obs.cri.containers if c.pod and c.pod.sandbox_id == ctr.pod.sandbox_id
                        and c.key != ctr.key)
        cri = dataclasses.replace(obs.cri, containers=(ctr, *members), errors=(),
                                  pods=tuple(p for p in obs.cri.pods if p.sandbox_id == ctr.pod.sandbox_id))
    elif host.cri is not None:
        cri = dataclasses.replace(host.cri, containers=(), pods=())
    podman = obs.podman or host.podman
    return dataclasses.replace(
        host, containers=(ctr, *joined) if obs.cri is None and obs.podman is None else (), runtime=runtime,
        collectors={**host.collectors, **fresh}, cri=cri,
        containerd=dataclasses.replace(host.containerd, containers=(), pods=()) if host.containerd else None,
        podman=dataclasses.replace(podman, containers=(ctr,) if obs.podman is not None else ()) if podman else None)


@dataclass(frozen=True)
class Judgement:
    verdict: str
    failing: tuple[str, ...]
    paths: tuple[str, ...]


def judge(host: Snapshot, host_results: dict[str, list[Result]], obs: Observation, joined: list[Container],
          waivers: tuple = (), fail_on: Severity | None = None) -> Judgement:
    """The one-shot audit's verdict and failing checks (at or above `fail_on`) for the observed container."""
    from hostaudit import engine

    report = engine.audit(subject_snapshot(host, obs, joined), waivers=waivers, known=host_results)
    key = obs.key
    verdict = next((v for v in report.escapes if v.subject.key == key), None)
    failing = sorted({f.check.id for f in report.findings if f.subject.key == key and f.failing
                      and (fail_on is None or f.severity.rank >= fail_on.rank)})
    return Judgement(verdict.verdict if verdict else "unknown", tuple(failing),
                     tuple(p.technique for p in verdict.paths) if verdict else ())


def host_results(snapshot: Snapshot) -> dict[str, list[Result]]:
    """The results of every check that is not about one container, over the host facts."""
    from hostaudit import catalog, engine

    checks = {cid: c for cid, c in catalog.load().items() if c.meta.scope is not catalog.Scope.CONTAINER}
    return engine.evaluate(snapshot, checks)


# ---------------------------------------------------------------- output

class LineOutput:
    """JSON lines to stdout, or appended to a file (0600) that is rotated to `<file>.1` when it would pass
    `max_bytes`."""

    def __init__(self, path: Path | None, max_bytes: int = OUTPUT_MAX_BYTES) -> None:
        from hostaudit.serde import to_jsonable

        self.path, self.max_bytes = path, max_bytes
        self.encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"),
                                        default=to_jsonable)
        self._fd: int | None = None

    def _open(self) -> int:
        assert self.path is not None
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
                               0o600)
        return self._fd

    def write(self, record: dict[str, Any]) -> None:
        from hostaudit.sanitize import json_text

        data = (json_text(record, self.encoder) + "\n").encode()
        if self.path is None:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
            return
        fd = self._open()
        if os.fstat(fd).st_size + len(data) > self.max_bytes > 0 and os.fstat(fd).st_size:
            os.replace(self.path, f"{self.path}.1")
            self.close()
            fd = self._open()
        os.write(fd, data)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def prometheus_text(judged: dict[str, Judgement], lines: int, engines: dict[str, bool], refreshed: float) -> str:
    """The watch's counts in the textfile format of the audit's Prometheus file (no container names)."""
    from hostaudit.renderers.prometheus import metric

    verdicts = [j.verdict for j in judged.values()]
    out = metric("hostaudit_watch_containers", "gauge", "Containers judged by the watch, by escape verdict.",
                 [({"verdict": v}, verdicts.count(v)) for v in ("escapable", "weakened", CONTAINED, "unknown")])
    out += metric("hostaudit_watch_failing_containers", "gauge",
                  "Containers with at least one failing check (at or above --fail-on).",
                  [({}, sum(1 for j in judged.values() if j.failing))])
    out += metric("hostaudit_watch_lines_total", "counter", "Lines written since the watch started.", [({}, lines)])
    out += metric("hostaudit_watch_engine_up", "gauge", "1 while the watch follows the engine's events.",
                  [({"engine": name}, int(up)) for name, up in sorted(engines.items())])
    out += metric("hostaudit_watch_host_facts_timestamp_seconds", "gauge",
                  "Unix time of the last collection of the host facts.", [({}, refreshed)])
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- the service

@dataclass
class Watch:
    """The main loop's state: host facts and their results, followers, the last judgement of each container."""

    collect: Callable[[], tuple[Snapshot, list[Endpoint]]]  # host facts and the Docker endpoints to follow
    load_waivers: Callable[[], tuple]
    output: LineOutput
    prometheus: Path | None = None
    fail_on: Severity | None = None
    host_every: float = 600.0
    timeout: float = 5.0
    messages: queue.SimpleQueue = dataclasses.field(default_factory=queue.SimpleQueue)
    stop: threading.Event = dataclasses.field(default_factory=threading.Event)
    cri_every: float = 2.0
    podman_roots: tuple[str, ...] = ()  # libpod storage roots to read; empty: root's and every user's
    podman_every: float = 2.0
    podman_budget: float = 15.0  # seconds one read of the libpod stores may take
    followers: dict[str, DockerFollower | CriPoller | PodmanPoller] = dataclasses.field(default_factory=dict)
    judged: dict[str, Judgement] = dataclasses.field(default_factory=dict)
    seen: dict[str, Observation] = dataclasses.field(default_factory=dict)  # the last of each container present
    lines: int = 0
    waivers: tuple = ()
    host: Snapshot | None = None
    results: dict[str, list[Result]] = dataclasses.field(default_factory=dict)
    refreshed: float = 0.0
    _prometheus_due: float | None = None
    _collecting: bool = False  # a collection of the host facts runs in the background
    _refresh_again: str | None = None  # why to collect once more when it ends

    def _collected(self, reason: str) -> HostFacts:
        started = time.monotonic()
        snapshot, endpoints = self.collect()
        return HostFacts(reason, time.monotonic() - started, snapshot, tuple(endpoints))

    def _collect_in_background(self, reason: str) -> None:
        try:
            facts = self._collected(reason)
        except Exception as exc:  # a bug or a host in trouble: the previous facts stay, the next schedule retries
            facts = HostFacts(reason, 0.0, error=f"{type(exc).__name__}: {exc}")
        self.messages.put(facts)

    def refresh(self, reason: str) -> None:
        """Collect the host facts again in the background (HostFacts comes back on the queue); while one collection
        runs, another asked for starts when it ends."""
        if self._collecting:
            self._refresh_again = self._refresh_again or reason
            return
        self._collecting = True
        threading.Thread(target=self._collect_in_background, args=(reason,), name="watch:host facts",
                         daemon=True).start()

    def _apply(self, facts: HostFacts) -> None:
        """Take a collection's host facts, follow any new endpoint, and judge every container seen again."""
        self._collecting = False
        if facts.snapshot is None:
            say(f"host facts not collected ({facts.reason}): {facts.error}; the previous ones stay")
        else:
            self._take(facts)
        if self._refresh_again is not None:
            reason, self._refresh_again = self._refresh_again, None
            self.refresh(reason)

    def _take(self, facts: HostFacts) -> None:
        snapshot = facts.snapshot
        assert snapshot is not None
        self.host, self.results, self.refreshed = snapshot, host_results(snapshot), time.time()
        for endpoint in facts.endpoints:
            if endpoint.url not in self.followers:
                follower = DockerFollower(endpoint, self.timeout, self.messages, self.stop)
                self.followers[endpoint.url] = follower
                follower.start()
        if snapshot.cri is not None and snapshot.cri.endpoint not in self.followers:
            poller = CriPoller(snapshot.cri.endpoint, snapshot.kubelet, self.timeout, self.cri_every, self.messages,
                               self.stop)
            self.followers[snapshot.cri.endpoint] = poller
            poller.start()
        podman_found = snapshot.collectors.get("podman")
        if podman_found and podman_found.state is not CollectorState.SKIPPED and "podman" not in self.followers:
            self.followers["podman"] = PodmanPoller(self.podman_roots, self.podman_budget, self.podman_every,
                                                    self.messages, self.stop)
            self.followers["podman"].start()
        for obs in list(self.seen.values()):  # the host facts changed under them
            self._consider(dataclasses.replace(obs, event="refresh"))
        say(f"host facts collected ({facts.reason}) in {facts.seconds:.1f} s; "
            f"{len(snapshot.containers)} Docker containers judged")
        self._prometheus_due = time.monotonic()

    def _consider(self, obs: Observation) -> None:
        """Judge an observed container and write a line when its verdict or failing checks changed."""
        assert self.host is not None
        before = self.judged.get(obs.key, Judgement(CONTAINED, (), ()))
        if obs.container is None:
            now = Judgement("unknown", (), ()) if obs.error else None
            self.seen.pop(obs.key, None)
        else:
            self.seen[obs.key] = obs
            joined = _joined(obs.container, self.seen) if obs.cri is None and obs.podman is None else []
            now = judge(self.host, self.results, obs, joined, self.waivers, self.fail_on)
        if now is None:
            self.judged.pop(obs.key, None)
            changed = before.verdict != CONTAINED or before.failing
        else:
            self.judged[obs.key] = now
            changed = (now.verdict, now.failing) != (before.verdict, before.failing)
        if not changed:
            return
        record: dict[str, Any] = {
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"), "engine": obs.engine,
            "event": obs.event, "subject": obs.key, "verdict": now.verdict if now else None,
            "failing": list(now.failing) if now else [], "paths": list(now.paths) if now else []}
        if obs.error:
            record["error"] = obs.error
        self.output.write(record)
        self.lines += 1
        if self._prometheus_due is None:
            self._prometheus_due = time.monotonic() + PROMETHEUS_EVERY

    def _write_prometheus(self) -> None:
        from hostaudit import output as out

        self._prometheus_due = None
        if self.prometheus is not None:
            engines = {f.label: f.up for f in self.followers.values()}
            out.write(prometheus_text(self.judged, self.lines, engines, self.refreshed), self.prometheus,
                      mode=0o644)

    def run(self) -> int:
        """Until SIGTERM (or SIGINT): judge what the engines report; SIGHUP re-reads the waivers."""
        previous = {sig: signal.signal(sig, handler) for sig, handler in (
            (signal.SIGTERM, lambda *_: self.messages.put(STOP)), (signal.SIGINT, lambda *_: self.messages.put(STOP)),
            (signal.SIGHUP, lambda *_: self.messages.put(RELOAD)))}
        try:
            self.waivers = self.load_waivers()
            self._take(self._collected("start"))
            next_refresh = time.monotonic() + self.host_every
            while True:
                due = [next_refresh] + ([self._prometheus_due] if self._prometheus_due is not None else [])
                try:
                    message = self.messages.get(timeout=max(0.0, min(due) - time.monotonic()))
                except queue.Empty:
                    message = None
                if message == STOP:
                    say("stopping (signal)")
                    return 0
                if message == RELOAD:
                    self._reload_waivers()
                elif isinstance(message, Observation):
                    self._consider(message)
                elif isinstance(message, HostFacts):
                    self._apply(message)
                if isinstance(message, HostRefresh) or time.monotonic() >= next_refresh:
                    self.refresh(message.reason if isinstance(message, HostRefresh) else "schedule")
                    next_refresh = time.monotonic() + self.host_every
                if self._prometheus_due is not None and time.monotonic() >= self._prometheus_due:
                    self._write_prometheus()
        finally:
            self.stop.set()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.output.close()

    def _reload_waivers(self) -> None:
        from hostaudit.waivers import WaiverError

        try:
            self.waivers = self.load_waivers()
        except WaiverError as exc:
            say(f"waivers not re-read, the previous ones stay: {exc}")
            return
        say(f"waivers re-read: {len(self.waivers)} in force")
        for obs in list(self.seen.values()):  # a waiver may change what fails
            self._consider(dataclasses.replace(obs, event="waivers"))


def run(*, docker_host: str | None = None, timeout: float = 5.0, host_every: float = 600.0,
        output: Path | None = None, output_max_bytes: int = OUTPUT_MAX_BYTES, prometheus: Path | None = None,
        fail_on: Severity | None = None, waivers: Path | None = None, host_root: str = "/",
        deadline: float = 60.0, cri_endpoint: str | None = None, cri_every: float = 2.0,
        containerd_state: tuple[str, ...] = (), podman_roots: tuple[str, ...] = (), podman_every: float = 2.0) -> int:
    """Watch every verified Docker engine (or `docker_host` alone), the node's CRI runtime (or `cri_endpoint`) and
    the libpod stores (or `podman_roots`) until SIGTERM; the exit code."""
    from hostaudit import catalog, engine
    from hostaudit import waivers as waiving
    from hostaudit.collectors import CollectContext
    from hostaudit.collectors._docker import release
    from hostaudit.collectors._fs import use_host_root
    from hostaudit.collectors.containers import endpoints
    from hostaudit.options import COLLECTOR_SHARE

    use_host_root(host_root)

    def collect() -> tuple[Snapshot, list[Endpoint]]:
        ctx = CollectContext(docker_host=docker_host, docker_timeout=timeout, host_root=host_root,
                             cri_endpoint=cri_endpoint, cri_timeout=timeout, containerd_state_dirs=containerd_state,
                             podman_roots=podman_roots)
        snapshot = engine.collect(ctx, deadline=deadline)
        found = endpoints(ctx)
        release(ctx)
        return snapshot, found

    def load_waivers() -> tuple:
        if waivers is not None:
            return waiving.load_trusted(waivers, catalog.load())
        accepted, refused = waiving.discover(catalog.load())
        for note in refused:
            say(note)
        return accepted

    return Watch(collect, load_waivers, LineOutput(output, output_max_bytes), prometheus=prometheus, fail_on=fail_on,
                 host_every=host_every, timeout=timeout, cri_every=cri_every, podman_roots=podman_roots,
                 podman_every=podman_every, podman_budget=deadline * COLLECTOR_SHARE).run()
