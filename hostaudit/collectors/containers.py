"""Every container Docker knows, stopped ones too: one list call, then one inspect each, concurrently; from the
endpoint given, or (none given) from every dockerd on the host, each container with its engine's user."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import cast

from hostaudit.collectors import CollectContext, CollectorError, CollectorSkipped, PartialFacts, maps_root_to
from hostaudit.collectors._budget import budget_seconds, deadline
from hostaudit.collectors._docker import api_error, client, is_not_found, reason, tcp_server_pid, unix_path
from hostaudit.collectors._docker_http import DockerAPI, expect_shape
from hostaudit.collectors._fs import host_path
from hostaudit.collectors.normalize import from_docker
from hostaudit.model import Container, DockerEngine

MAX_LISTED = 10_000  # containers audited from one endpoint; a longer list is cut, and the source is in error


def endpoint_containers(ctx: CollectContext, ends: float | None = None) -> tuple[Container, ...]:
    """The containers of the endpoint `ctx.docker_url`: the list and every inspect end by `ends` (the collector's
    time budget, `_budget.deadline`; from now when None). PartialFacts with the containers read when the list is
    longer than MAX_LISTED or some inspects failed or did not end in time: those containers are not audited."""
    ends = deadline(ctx.docker_timeout) if ends is None else ends
    api = client(ctx)
    # the lean client ends each call by the budget's end too; the docker SDK's (TLS) calls are only started within it
    budgeted = {"deadline": ends} if isinstance(api, DockerAPI) else {}
    try:
        listed = expect_shape(api.containers(all=True, trunc=False, **budgeted), list, "/containers/json")
    except Exception as exc:
        raise api_error(ctx.docker_url, exc) from exc

    def inspect(container_id: str) -> Container | str | None:
        """The container, None when it is gone, or why it could not be read."""
        if time.monotonic() >= ends:
            return f"not started within the {budget_seconds(ctx.docker_timeout):g}s time budget"
        try:
            found = api.inspect_container(container_id, **budgeted)
            return from_docker(expect_shape(found, dict, f"/containers/{container_id}/json"))
        except Exception as exc:
            if is_not_found(exc):
                return None  # removed between the list and the inspect: nothing left to audit
            return reason(exc)

    ids = [c["Id"] for c in listed if isinstance(c, dict) and isinstance(c.get("Id"), str)]
    with ThreadPoolExecutor(max_workers=ctx.workers) as pool:
        found = list(pool.map(inspect, ids[:MAX_LISTED]))
    containers = tuple(sorted((c for c in found if isinstance(c, Container)), key=lambda c: c.name))
    problems = [f"{len(ids)} containers listed, only the first {MAX_LISTED} are audited"] if len(ids) > MAX_LISTED \
        else []
    failed = [(cid, why) for cid, why in zip(ids, found, strict=False) if isinstance(why, str)]
    if failed:
        reasons = sorted({why for _, why in failed})
        problems.append(f"{len(failed)} of {len(ids[:MAX_LISTED])} inspects failed, those containers are not "
                        f"audited ({'; '.join(reasons[:3])}; first: {', '.join(cid[:12] for cid, _ in failed[:5])})")
    if problems and time.monotonic() >= ends:
        problems.append(f"the collector's {budget_seconds(ctx.docker_timeout):g}s time budget ran out")
    if problems:
        raise PartialFacts(containers, f"docker: at {ctx.docker_url}: " + "; ".join(problems))
    return containers


def _same_socket(a: str, b: str | None) -> bool:
    try:
        return b is not None and os.path.samefile(a, b)
    except OSError:
        return False


def _owned(containers: tuple[Container, ...], engine: DockerEngine, main: bool) -> list[Container]:
    """The containers of `engine`, with its user; a rootless engine's default user namespace is the user's own.
    Containers of an engine other than the main endpoint get keys that name its socket."""
    tagged = []
    for ctr in containers:
        namespaces = dict(ctr.namespaces)
        if engine.rootless and namespaces.get("user") == "default":
            namespaces["user"] = "private"
        changes = {"owner": engine.user, "owner_uid": engine.uid, "namespaces": namespaces,
                   "docker_socket": engine.socket}
        if engine.rootless and ctr.pid and engine.uid is not None and not maps_root_to(ctr.pid, engine.uid):
            changes["pid"] = None  # the user's API named a process outside the user's namespace
        if not main:
            changes |= {"key": f"docker:{engine.socket}:{ctr.name}", "name": f"{engine.user}/{ctr.name}"}
        tagged.append(dataclasses.replace(ctr, **changes))
    return tagged


def _listening_engine(ctx: CollectContext) -> DockerEngine | None:
    """Root's dockerd serving a TCP endpoint, found as the root host process listening at its address."""
    pid = tcp_server_pid(ctx.docker_url)
    if pid is None or pid not in {p.pid for p in ctx.processes_named("dockerd")}:
        return None
    return DockerEngine(ctx.docker_url, "tcp listener", 0, 0, "root", pid)


def root_ids(containers: tuple[Container, ...]) -> frozenset[str]:
    """Ids of the containers of an engine verified (SO_PEERCRED) to run as root: only these may stand for a
    containerd task in Docker's `moby` namespace (a rootless or unverified engine's ids never hide one)."""
    return frozenset(c.id for c in containers if c.owner_uid == 0)


def _read_partially(read: Callable[[], tuple[Container, ...]], errors: list[str]) -> tuple[Container, ...]:
    """What `read` returns; on PartialFacts, the containers it read, its message added to `errors`."""
    try:
        return read()
    except PartialFacts as exc:
        errors.append(str(exc))
        return cast(tuple[Container, ...], exc.facts)


@dataclass(frozen=True)
class Endpoint:
    """One Docker endpoint audited: its URL, the verified engine behind it (None for a main endpoint whose server
    was not verified) and whether it is the main one, whose containers keep their plain keys."""

    url: str
    engine: DockerEngine | None
    main: bool

    def own(self, containers: tuple[Container, ...]) -> list[Container]:
        """`containers` as this endpoint's: with its engine's user, and keys naming its socket unless main."""
        return _owned(containers, self.engine, self.main) if self.engine else list(containers)


def endpoints(ctx: CollectContext) -> list[Endpoint]:
    """The main endpoint (`ctx.docker_url`) first, then, unless one endpoint was named, every other verified engine
    (by SO_PEERCRED, see docker_engines) on a socket of its own."""
    main_path = unix_path(ctx.docker_url)
    engines = [e for e in ctx.docker_engines if e.error is None]
    main_engine = next((e for e in engines if main_path and _same_socket(host_path(e.socket), main_path)), None) \
        or _listening_engine(ctx)
    found = [Endpoint(ctx.docker_url, main_engine, True)]
    if ctx.narrowed:
        return found
    seen = [main_path] if main_path else []
    for engine in engines:
        if any(_same_socket(host_path(engine.socket), s) for s in seen):
            continue
        seen.append(host_path(engine.socket))
        found.append(Endpoint(f"unix://{host_path(engine.socket)}", engine, False))
    return found


def collect(ctx: CollectContext) -> tuple[Container, ...]:
    main, *others = endpoints(ctx)
    errors = []
    ends = deadline(ctx.docker_timeout)  # one budget for every endpoint's calls; the main endpoint's come first
    try:
        found = main.own(_read_partially(partial(endpoint_containers, ctx, ends), errors))
        skipped = None
    except CollectorSkipped as exc:
        found, skipped = [], exc
    except CollectorError as exc:  # the other engines are still read; the failure is reported beside them
        if ctx.narrowed:
            raise
        found, skipped = [], None
        errors.append(str(exc))
    if ctx.narrowed:
        if skipped:
            raise skipped
        if errors:
            raise PartialFacts(tuple(found), "; ".join(errors))
        return tuple(found)
    for endpoint in others:
        other = CollectContext(docker_host=endpoint.url, docker_timeout=ctx.docker_timeout, workers=ctx.workers)
        try:
            found += endpoint.own(_read_partially(partial(endpoint_containers, other, ends), errors))
        except (CollectorError, CollectorSkipped) as exc:
            errors.append(str(exc))
    if skipped and not found and not errors and len(others) + bool(unix_path(main.url)) <= 1:
        raise skipped
    if errors and not found:
        raise CollectorError("; ".join(errors))
    if errors:
        raise PartialFacts(tuple(found), "; ".join(errors))
    return tuple(found)
