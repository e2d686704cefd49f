"""Every container Docker knows, stopped ones too: one list call, then one inspect each, concurrently; from the
endpoint given, or (none given) from every dockerd on the host, each container with its engine's user."""

from __future__ import annotations

import dataclasses
import os
from concurrent.futures import ThreadPoolExecutor

from hostaudit.collectors import CollectContext, CollectorError, CollectorSkipped, PartialFacts, maps_root_to
from hostaudit.collectors._docker import api_error, client, is_not_found, unix_path
from hostaudit.collectors._docker_http import expect_shape
from hostaudit.collectors._fs import host_path
from hostaudit.collectors.normalize import from_docker
from hostaudit.model import Container, DockerEngine


def endpoint_containers(ctx: CollectContext) -> tuple[Container, ...]:
    """The containers of the endpoint `ctx.docker_url`."""
    api = client(ctx)
    try:
        listed = expect_shape(api.containers(all=True, trunc=False), list, "/containers/json")
    except Exception as exc:
        raise api_error(ctx.docker_url, exc) from exc

    def inspect(container_id: str) -> Container | None:
        try:
            found = api.inspect_container(container_id)
        except Exception as exc:
            if is_not_found(exc):
                return None  # removed between the list and the inspect: nothing left to audit
            raise
        return from_docker(expect_shape(found, dict, f"/containers/{container_id}/json"))

    ids = [c["Id"] for c in listed if isinstance(c, dict) and isinstance(c.get("Id"), str)]
    try:
        with ThreadPoolExecutor(max_workers=ctx.workers) as pool:
            found = list(pool.map(inspect, ids))
    except Exception as exc:
        raise api_error(ctx.docker_url, exc) from exc
    return tuple(sorted((c for c in found if c is not None), key=lambda c: c.name))


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
        changes = {"owner": engine.user, "owner_uid": engine.uid, "namespaces": namespaces}
        if engine.rootless and ctr.pid and engine.uid is not None and not maps_root_to(ctr.pid, engine.uid):
            changes["pid"] = None  # the user's API named a process outside the user's namespace
        if not main:
            changes |= {"key": f"docker:{engine.socket}:{ctr.name}", "name": f"{engine.user}/{ctr.name}"}
        tagged.append(dataclasses.replace(ctr, **changes))
    return tagged


def collect(ctx: CollectContext) -> tuple[Container, ...]:
    main_path = unix_path(ctx.docker_url)
    engines = [e for e in ctx.docker_engines if e.error is None]
    main_engine = next((e for e in engines if main_path and _same_socket(host_path(e.socket), main_path)), None)
    errors = []
    try:
        main = endpoint_containers(ctx)
        found = _owned(main, main_engine, True) if main_engine else list(main)
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
        return tuple(found)
    seen = [main_path] if main_path else []
    for engine in engines:
        if any(_same_socket(host_path(engine.socket), s) for s in seen):
            continue
        seen.append(host_path(engine.socket))
        other = CollectContext(docker_host=f"unix://{host_path(engine.socket)}", docker_timeout=ctx.docker_timeout,
                               workers=ctx.workers)
        try:
            found += _owned(endpoint_containers(other), engine, False)
        except (CollectorError, CollectorSkipped) as exc:
            errors.append(str(exc))
    if skipped and not found and not errors and len(seen) <= 1:
        raise skipped
    if errors and not found:
        raise CollectorError("; ".join(errors))
    if errors:
        raise PartialFacts(tuple(found), "; ".join(errors))
    return tuple(found)
