"""Every container Docker knows, stopped ones too: one list call, then one inspect each, concurrently."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from hostaudit.collectors import CollectContext
from hostaudit.collectors._docker import api_error, client, is_not_found
from hostaudit.collectors._docker_http import expect_shape
from hostaudit.collectors.normalize import from_docker
from hostaudit.model import Container


def collect(ctx: CollectContext) -> tuple[Container, ...]:
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
