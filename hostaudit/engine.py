"""Run the collectors into one snapshot, and the checks over it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hostaudit import __version__
from hostaudit.catalog import Check, Scope
from hostaudit.collectors import CollectContext, CollectorError, CollectorSkipped, PartialFacts
from hostaudit.collectors._fs import use_host_root
from hostaudit.model import (
    DAEMON,
    HOST,
    SCHEMA_VERSION,
    CollectorState,
    CollectorStatus,
    Result,
    Snapshot,
    Status,
    Subject,
    daemon_subject,
)
from hostaudit.options import COLLECTOR_SHARE, DEADLINE
from hostaudit.report import Report
from hostaudit.serde import check_document, from_jsonable, to_jsonable

Progress = Callable[[str], None]


def _run(name: str, function: Callable[[], Any]) -> tuple[Any, CollectorStatus]:
    started = time.perf_counter()
    facts: Any = None
    try:
        facts = function()
        state, message = CollectorState.OK, ""
    except PartialFacts as exc:
        facts, state, message = exc.facts, CollectorState.ERROR, str(exc)
    except CollectorSkipped as exc:
        state, message = CollectorState.SKIPPED, str(exc)
    except CollectorError as exc:
        state, message = CollectorState.ERROR, str(exc)
    except Exception as exc:  # a collector bug must not cost the whole report
        state, message = CollectorState.ERROR, f"{name}: {type(exc).__name__}: {exc}"
    return facts, CollectorStatus(name, state, message, round(time.perf_counter() - started, 4))


class Bounded:
    """One collector run in a daemon thread, waited for at most `limit` seconds: a collector stuck in a loop cannot
    be killed in Python, so one past its time is left to run, its facts never read, and dies with the process."""

    def __init__(self, name: str, function: Callable[[], Any], limit: float,
                 refused: str = "the collection's deadline had passed") -> None:
        self.name, self.limit, self.started, self.refused = name, max(0.0, limit), time.monotonic(), refused
        self._done = threading.Event()
        self._outcome: tuple[Any, CollectorStatus] | None = None
        if self.limit > 0:
            threading.Thread(target=self._work, args=(function,), name=f"collector:{name}", daemon=True).start()

    def _work(self, function: Callable[[], Any]) -> None:
        self._outcome = _run(self.name, function)
        self._done.set()

    def finished(self) -> bool:
        """Whether the collector has returned (a run past its time may still be going)."""
        return self._done.is_set()

    def result(self) -> tuple[Any, CollectorStatus]:
        """The collector's facts and status, or none and an error once its time is up."""
        if self._done.wait(max(0.0, self.started + self.limit - time.monotonic())) and self._outcome is not None:
            return self._outcome
        message = (f"{self.name}: timed out after {round(self.limit, 1):g} s" if self.limit > 0
                   else f"{self.name}: not started: {self.refused}")
        return None, CollectorStatus(self.name, CollectorState.ERROR, message,
                                     round(time.monotonic() - self.started, 4))


def _merged(first: tuple[Any, CollectorStatus], second: tuple[Any, CollectorStatus]) -> tuple[Any, CollectorStatus]:
    """One collector's facts and status from two runs of it over parts of its input (facts are dicts)."""
    (facts_a, status_a), (facts_b, status_b) = first, second
    failed = [s for s in (status_a, status_b) if s.state is not CollectorState.OK]
    status = CollectorStatus(status_a.name, failed[0].state if failed else CollectorState.OK,
                             "; ".join(s.message for s in failed if s.message),
                             round(status_a.duration_s + status_b.duration_s, 4))
    if facts_a is None and facts_b is None:
        return None, status
    return {**(facts_a or {}), **(facts_b or {})}, status


def collect(ctx: CollectContext, progress: Progress | None = None, deadline: float = DEADLINE) -> Snapshot:
    """Read every source, each fault-isolated, into one snapshot within `deadline` seconds: a collector gets at most
    COLLECTOR_SHARE of it (and what is left of it), and one past its time is an error, its checks `unknown`."""
    from hostaudit.collectors import (
        _docker,
        audit_rules,
        containerd,
        containers,
        cri,
        docker_daemon,
        docker_engines,
        files,
        host,
        kubelet,
        podman,
        runtime,
        sockets,
    )

    ends = time.monotonic() + deadline
    refused = ""  # why no collector may start

    def start(name: str, function: Callable[[], Any]) -> Bounded:
        if refused:
            return Bounded(name, function, 0.0, refused)
        return Bounded(name, function, min(deadline * COLLECTOR_SHARE, ends - time.monotonic()))

    use_host_root(ctx.host_root)
    say = progress or (lambda _message: None)
    say("reading host, Docker and containerd")
    # the process table, read once before the collectors share it, and every dockerd found once: a process whose
    # memory a user backs with a file that never answers can stall a read of its cmdline
    shared, status = start("processes", lambda: (ctx.processes, ctx.docker_engines)).result()
    if shared is None:
        refused = f"the process table could not be read ({status.message})"
    elif not ctx.narrowed:
        ctx.found_docker_url = docker_engines.main_endpoint(ctx.docker_engines)
    first = {
        "host": lambda: host.collect(ctx),
        "docker_daemon": lambda: docker_daemon.collect(ctx),
        "other_docker_daemons": lambda: docker_daemon.collect_others(ctx),
        "containers": lambda: containers.collect(ctx),
        "audit_rules": lambda: audit_rules.collect(ctx),
        "kubelet": lambda: kubelet.collect(ctx),
        "podman": lambda: podman.collect(ctx),
        "sockets": lambda: sockets.collect(ctx),
    }
    running = {name: start(name, function) for name, function in first.items()}
    listed = running["containers"].result()[0] or ()
    # /proc of Docker's running containers is read while the slower sources (the host's binaries) still answer
    docker_runtime = start("runtime", lambda: runtime.collect(tuple(listed)))
    done = {name: bounded.result() for name, bounded in running.items()}
    facts = {name: value for name, (value, _) in done.items()}
    statuses = {name: status for name, (_, status) in done.items()}
    docker_containers = facts["containers"] or ()
    # after Docker's list, so that the bundles of the containers Docker described are not read twice (also when it
    # could not read them all); only a source verified to be root's may hide a task (a user's engine naming a root
    # task's id would make it vanish)
    known = containers.root_ids(docker_containers)
    cri_facts, statuses["cri"] = start("cri", lambda: cri.collect(ctx, facts["kubelet"])).result()
    cri_ids = frozenset(c.id for c in cri_facts.containers) if cri_facts else frozenset()  # root's server only
    daemon = facts["docker_daemon"]
    root_infos = tuple(d.info for d in ((daemon,) if daemon is not None and daemon.pid is not None else ())
                       + tuple(facts["other_docker_daemons"] or ()) if d.info is not None
                       and (d is daemon or (d.engine is not None and d.engine.uid == 0)))  # root's dockerds only
    containerd_facts, statuses["containerd"] = start(
        "containerd", lambda: containerd.collect(ctx, known, cri_ids, root_infos)).result()
    others = ((cri_facts.containers if cri_facts else ()) + (containerd_facts.containers if containerd_facts else ())
              + (facts["podman"].containers if facts["podman"] else ()))
    say(f"reading /proc for {sum(1 for c in tuple(docker_containers) + others if c.pid)} running containers")
    runtime_facts, statuses["runtime"] = _merged(docker_runtime.result(),
                                                 start("runtime", lambda: runtime.collect(others)).result())
    file_facts, statuses["files"] = start(
        "files", lambda: files.collect(ctx, facts["docker_daemon"], containerd_facts)).result()
    _docker.release(ctx)
    return Snapshot(
        schema_version=SCHEMA_VERSION,
        hostaudit_version=__version__,
        collected_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        collectors={name: statuses[name] for name in sorted(statuses)},
        host=facts["host"],
        docker_daemon=facts["docker_daemon"],
        containers=tuple(docker_containers),
        containerd=containerd_facts,
        runtime=runtime_facts or {},
        files=file_facts or (),
        audit_rules=facts["audit_rules"],
        kubelet=facts["kubelet"],
        podman=facts["podman"],
        docker_engines=shared[1] if shared else (),
        other_docker_daemons=facts["other_docker_daemons"] or (),
        runtime_sockets=facts["sockets"] or (),
        cri=cri_facts,
        untrusted_processes=ctx.untrusted_processes(),
    )


def snapshot_to_json(snapshot: Snapshot) -> str:
    return json.dumps(to_jsonable(snapshot), indent=1, sort_keys=True)


MAX_SNAPSHOT_BYTES = 64 * 2**20  # a 1000-container snapshot is about 6 MiB


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a snapshot holds")


def load_snapshot(path: Path) -> Snapshot:
    """A snapshot saved by `hostaudit collect` of this SCHEMA_VERSION; ValueError with one readable line when it is
    not one (too big, malformed, out of bounds, or of another schema version: no silent defaults or migration)."""
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_SNAPSHOT_BYTES + 1)
        if len(raw) > MAX_SNAPSHOT_BYTES:
            raise ValueError(f"larger than {MAX_SNAPSHOT_BYTES // 2**20} MiB")
        data = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
        check_document(data)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ValueError(f"{path}: cannot read a snapshot: {exc}") from exc
    version = data.get("schema_version") if isinstance(data, dict) else None
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValueError(f"{path}: not a hostaudit snapshot (no schema_version)")
    if version != SCHEMA_VERSION:
        raise ValueError(f"{path}: snapshot schema {version}; this hostaudit reads {SCHEMA_VERSION}: collect again")
    try:
        return from_jsonable(Snapshot, data)
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        raise ValueError(f"{path}: malformed snapshot: {exc}") from exc


# ---------------------------------------------------------------- evaluation

RAISED = "the check raised an error"
CONTAINER_SOURCES = {"containers": "docker containers", "containerd": "containerd containers",
                     "cri": "CRI pods and containers", "podman": "podman containers"}


def _failed_needs(check: Check, snapshot: Snapshot) -> dict[str, str]:
    """Needed collectors that did not deliver (an error, not a verified absence)."""
    failed = {}
    for name in check.meta.needs:
        status = snapshot.collectors.get(name)
        if status is None or status.state is CollectorState.ERROR:
            failed[name] = status.message if status else "not collected"
    return failed


def _scope_subject(check: Check) -> Subject:
    return DAEMON if check.meta.scope is Scope.DAEMON else HOST


def evaluate_check(check: Check, snapshot: Snapshot) -> list[Result]:
    """One check's results; `unknown` (never silence) when its facts are missing or it raises."""
    subject = _scope_subject(check)
    # container checks still run over the containers of the sources that worked; for any other check a container
    # source is a need like the rest
    sources = CONTAINER_SOURCES if check.meta.scope is Scope.CONTAINER else {}
    absent = {name: snapshot.collectors[name].message for name in check.meta.needs
              if name not in sources and name in snapshot.collectors
              and snapshot.collectors[name].state is CollectorState.SKIPPED}
    if absent:
        return [Result.not_applicable(subject, {f"collector.{k}": v for k, v in absent.items()},
                                      "the component this check is about is not on this host")]
    results = []
    for name, label in sources.items():
        status = snapshot.collectors.get(name)
        if status is not None and status.state is CollectorState.ERROR:
            results.append(Result.unknown(Subject(f"source:{name}", "source", label),
                                          {f"collector.{name}": status.message}, f"{label} could not be listed"))
    failed = {k: v for k, v in _failed_needs(check, snapshot).items() if k not in sources}
    if failed:
        return [*results, Result.unknown(subject, {f"collector.{k}": v for k, v in failed.items()},
                                         "needed facts could not be collected")]
    try:
        return [*results, *check.evaluate(snapshot)]
    except Exception as exc:
        return [*results, Result.unknown(subject, {"error": f"{type(exc).__name__}: {exc}"}, RAISED)]


def _per_daemon(check: Check) -> bool:
    """A check of one dockerd's own settings: run once per audited dockerd."""
    return check.meta.scope is Scope.DAEMON and "docker_daemon" in check.meta.needs


def daemon_views(snapshot: Snapshot) -> list[tuple[Subject, Snapshot]]:
    """Each audited dockerd as the snapshot its daemon checks read, under its own subject: its facts, its collection
    status and its containers only (the endpoint's first: the containers of no other verified dockerd)."""
    main = snapshot.docker_daemon
    others = {d.engine.socket for d in snapshot.other_docker_daemons if d.engine is not None}
    views = [(daemon_subject(main.engine if main else None, main=True),
              dataclasses.replace(snapshot, containers=tuple(c for c in snapshot.containers
                                                             if c.docker_socket not in others)))]
    for daemon in snapshot.other_docker_daemons:
        status = CollectorStatus("docker_daemon", CollectorState.ERROR if daemon.error else CollectorState.OK,
                                 daemon.error or "")
        socket = daemon.engine.socket if daemon.engine else None
        views.append((daemon_subject(daemon.engine, main=False), dataclasses.replace(
            snapshot, docker_daemon=daemon, collectors={**snapshot.collectors, "docker_daemon": status},
            containers=tuple(c for c in snapshot.containers if c.docker_socket == socket))))
    return views


def _as_subject(results: list[Result], subject: Subject) -> list[Result]:
    return [dataclasses.replace(r, subject=subject) if r.subject.key == DAEMON.key else r for r in results]


def evaluate(snapshot: Snapshot, checks: dict[str, Check]) -> dict[str, list[Result]]:
    """Every automated check's results; a check of a dockerd's settings once per audited dockerd (`daemon_views`)."""
    views = daemon_views(snapshot)
    return {check_id: [r for subject, view in views for r in _as_subject(evaluate_check(check, view), subject)]
            if _per_daemon(check) else evaluate_check(check, snapshot)
            for check_id, check in checks.items() if not check.meta.manual}


def checks_raised(results: dict[str, list[Result]]) -> list[str]:
    """Ids of checks whose function raised: a bug, which the test suite treats as a failure."""
    return [cid for cid, rs in results.items() if any(r.status is Status.UNKNOWN and r.detail == RAISED for r in rs)]


def audit(snapshot: Snapshot, only: tuple[str, ...] = (), waivers: tuple[Any, ...] = (),
          known: dict[str, list[Result]] | None = None) -> Report:
    """Evaluate the catalog (or the `only` ids) over a snapshot and build the report, `waivers` applied. `known`
    holds results already evaluated over the same host facts (the watch's host and daemon checks): those checks are
    not evaluated again."""
    from hostaudit import catalog, escape, report
    from hostaudit import waivers as waiving

    checks = catalog.load()
    if only:
        checks = {cid: checks[cid] for cid in only}
    known = {cid: rs for cid, rs in (known or {}).items() if cid in checks}
    results = {**known, **evaluate(snapshot, {cid: c for cid, c in checks.items() if cid not in known})}
    # a verdict over a partial selection could call a container contained that is not: whole catalog only
    rootless = {e.subject: e.owner for e in report.engine_summaries(snapshot) if e.rootless}
    escapes = () if only else escape.analyse(results, rootless)
    pods = () if only else report.pod_summaries(snapshot, results)
    built = report.build(snapshot, checks, results, escapes, pods)
    return waiving.apply(built, waivers, waiving.labels_by_subject(snapshot))
