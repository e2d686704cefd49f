"""Podman: every container in the libpod storage of root and of each user (rootless), created ones included.

Read-only from the files: the libpod database (`libpod/bolt_state.db`, or `db.sql` on Podman 4.8+) gives each
container's name, state and the OCI spec Podman generated at `create`; the spec the runtime was handed
(`<driver>-containers/<id>/userdata/config.json`) replaces it once the container was started. A user's storage
lies in a directory the user controls: only a database file owned by that user (and not a symlink) is read, and
only paths built from the storage root, never one the database names. A database is the user's to craft: db.sql is
read from an in-memory, query-only copy, only from plain tables, within budgets of SQLite steps, rows and value
sizes; bolt_state.db through a reader that refuses a page reached twice and has a budget of nodes (`_bolt`).
"""

from __future__ import annotations

import dataclasses
import glob
import os
import re
import sqlite3
import stat
import time

from hostaudit.collectors import CollectContext, CollectorSkipped, PartialFacts, maps_root_to
from hostaudit.collectors._bolt import BoltError, BoltFile
from hostaudit.collectors._fs import (
    host_exists,
    host_glob,
    host_isdir,
    host_path,
    passwd_users,
    read_parsed,
    user_name,
)
from hostaudit.collectors.normalize import distinct_subjects, from_oci
from hostaudit.model import Container, PodmanFacts, PodmanStore
from hostaudit.parsers import parse_json_object, parse_toml

ROOTFUL_STORAGE = "/var/lib/containers/storage"
STORAGE_CONF = "/etc/containers/storage.conf"
ROOTLESS_STORAGE = ".local/share/containers/storage"  # below a user's home
BOLT_DB = "libpod/bolt_state.db"
SQLITE_DB = "db.sql"
MAX_DB = 256 * 1024 * 1024
SQLITE_TABLES = ("ContainerConfig", "ContainerState")  # all that is read from a db.sql
MAX_ROWS = 100_000  # containers in one database
MAX_VALUE = 16 * 1024 * 1024  # bytes of one SQLite value (a container's config JSON is a few KiB)
MAX_STEPS = 50_000_000  # SQLite VM steps of one query: about a second; 100,000 real rows take a few million
STEP_CHECK = 10_000  # steps between two looks at the budget
CONTAINER_ID = re.compile(r"[0-9a-f]{64}")
SETTLED_S = 1.0  # a file changed more recently may change again within one tick of its times (see `store_state`)
# libpod's ContainerStatus numbers (define/containerstate.go)
STATES = {1: "created", 2: "created", 3: "running", 4: "stopped", 5: "paused", 6: "exited", 7: "removing",
          8: "stopping"}


@dataclasses.dataclass(frozen=True)
class StoreRoot:
    """A storage root to read and the user it belongs to."""

    path: str
    owner: str
    owner_uid: int


def _rootful_root() -> str:
    data = read_parsed(STORAGE_CONF, parse_toml).data or {}
    storage = data.get("storage") if isinstance(data.get("storage"), dict) else {}
    graph_root = storage.get("graphroot")
    return graph_root if isinstance(graph_root, str) and graph_root.startswith("/") else ROOTFUL_STORAGE


def discover_roots(ctx: CollectContext) -> list[StoreRoot]:
    """The storage roots to read: those given (`--podman-root`, owned by their directory's owner), else root's
    and every user's that exist."""
    if ctx.podman_roots:
        roots = []
        for path in ctx.podman_roots:
            uid = os.stat(host_path(path)).st_uid if host_isdir(path) else 0
            roots.append(StoreRoot(path, "root" if uid == 0 else user_name(uid), uid))
        return roots
    candidates = [StoreRoot(_rootful_root(), "root", 0)]
    candidates += [StoreRoot(os.path.join(home, ROOTLESS_STORAGE), name, uid) for name, uid, home in passwd_users()
                   if uid != 0 and home.startswith("/")]
    return [root for root in candidates if host_isdir(root.path)]


def _read_owned(path: str, uid: int) -> bytes | None:
    """The bytes of `path` if it is a regular file owned by `uid` (no symlink followed), else None."""
    try:
        fd = os.open(host_path(path, follow=False), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != uid:
            raise ValueError(f"{path}: not a regular file owned by uid {uid}")
        if info.st_size > MAX_DB:
            raise ValueError(f"{path}: larger than {MAX_DB} bytes")
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_DB:
                raise ValueError(f"{path}: larger than {MAX_DB} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _bolt_records(data: bytes) -> list[tuple[str, str]]:
    """(config JSON, state JSON) of every container in a bolt_state.db."""
    records = []
    for entry in BoltFile(data).buckets(b"ctr").values():
        config, state = entry.get(b"config"), entry.get(b"state")
        if config:
            records.append((config.decode("utf-8", "replace"), (state or b"{}").decode("utf-8", "replace")))
    return records


def bounded_rows(connection: sqlite3.Connection, query: str, parameters: tuple = ()) -> list[tuple]:
    """The rows of `query`; ValueError past MAX_STEPS steps of SQLite's VM or MAX_ROWS rows."""
    steps = 0

    def spend() -> bool:  # a true answer makes SQLite interrupt the query
        nonlocal steps
        steps += STEP_CHECK
        return steps > MAX_STEPS

    connection.set_progress_handler(spend, STEP_CHECK)
    try:
        rows = connection.execute(query, parameters).fetchmany(MAX_ROWS + 1)
    except sqlite3.OperationalError as exc:
        if steps > MAX_STEPS:
            raise ValueError(f"query stopped after {MAX_STEPS} SQLite steps") from exc
        raise
    finally:
        connection.set_progress_handler(None, 0)
    if len(rows) > MAX_ROWS:
        raise ValueError(f"more than {MAX_ROWS} rows")
    return rows


def _refusal(connection: sqlite3.Connection) -> str | None:
    """Why the objects the query reads are not plain tables (a view, a virtual table or a generated column can compute
    for ever, a trigger is code), or None. Names are matched as SQLite resolves them: without regard to case."""
    names = tuple(name.lower() for name in SQLITE_TABLES)
    objects = bounded_rows(connection, "SELECT type, name, lower(tbl_name), sql FROM sqlite_master "
                           "WHERE lower(name) IN (?, ?) OR lower(tbl_name) IN (?, ?)", names * 2)
    for kind, name, table, sql in objects:
        if kind == "trigger":
            return f"trigger {name!r} on {table}: refused"
        if kind == "view" or (kind == "table" and str(sql or "").lstrip().upper().startswith("CREATE VIRTUAL")):
            return f"{name} is a {'view' if kind == 'view' else 'virtual table'}, not a table: refused"
    tables = {name.lower() for kind, name, _, _ in objects if kind == "table"}
    missing = [name for name in SQLITE_TABLES if name.lower() not in tables]
    if missing:
        return f"no table {', '.join(missing)}"
    for table in SQLITE_TABLES:  # computed as it is read, in one VM step however long it takes
        generated = bounded_rows(connection, "SELECT name FROM pragma_table_xinfo(?) WHERE hidden IN (2, 3)", (table,))
        if generated:
            return f"{table}.{generated[0][0]} is a generated column: refused"
    return None


def _sqlite_records(data: bytes) -> list[tuple[str, str]]:
    """(config JSON, state JSON) of every container in a db.sql, opened in memory from its bytes, read-only, from
    its tables only, within a budget of steps, rows and value sizes."""
    connection = sqlite3.connect(":memory:")
    try:
        connection.deserialize(data)
        connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE)
        connection.execute("PRAGMA query_only = ON")
        connection.execute("PRAGMA trusted_schema = OFF")
        refused = _refusal(connection)
        if refused:
            raise ValueError(f"not a libpod SQLite database: {refused}")
        rows = bounded_rows(connection, "SELECT ContainerConfig.JSON, ContainerState.JSON FROM ContainerConfig "
                            "LEFT JOIN ContainerState ON ContainerConfig.ID = ContainerState.ID")
    except sqlite3.Error as exc:
        raise ValueError(f"not a libpod SQLite database: {exc}") from exc
    finally:
        connection.close()
    return [(str(config), str(state or "{}")) for config, state in rows]


def _runtime_specs(graph_root: str, ctr_id: str = "*") -> list[str]:
    """The config.json files the runtime was handed for a container (every container's by default)."""
    return sorted(host_glob(os.path.join(glob.escape(graph_root), "*-containers", ctr_id, "userdata", "config.json")))


def _runtime_spec(graph_root: str, ctr_id: str, uid: int) -> dict | None:
    """The config.json the runtime was handed, when the container was initialised at least once."""
    for path in _runtime_specs(graph_root, ctr_id):
        try:
            data = _read_owned(path, uid)
            return parse_json_object(data.decode("utf-8", "replace")) if data else None
        except ValueError:
            return None
    return None


def container_from(config_json: str, state_json: str, root: StoreRoot) -> Container | None:
    """One Podman container from its libpod records; None when they are not a container's."""
    try:
        config, state = parse_json_object(config_json), parse_json_object(state_json)
    except ValueError:
        return None
    ctr_id, name = config.get("id"), config.get("name")
    if not isinstance(ctr_id, str) or not CONTAINER_ID.fullmatch(ctr_id) or not isinstance(name, str):
        return None
    runtime_spec = _runtime_spec(root.path, ctr_id, root.owner_uid)
    spec = runtime_spec or config.get("spec")
    if not isinstance(spec, dict):
        return None
    status = STATES.get(state.get("state"), "unknown") if isinstance(state.get("state"), int) else "unknown"
    pid = state.get("pid")
    alive = (status == "running" and isinstance(pid, int) and pid > 0 and host_exists(f"/proc/{pid}")
             and (root.owner_uid == 0 or maps_root_to(pid, root.owner_uid)))
    ctr = from_oci(spec, "", ctr_id, pid if alive else None, status)
    labels = config.get("labels")
    namespaces = dict(ctr.namespaces)
    if root.owner_uid != 0 and namespaces.get("user") == "host":
        namespaces["user"] = "private"  # the owner's user namespace, in which the rootless engine itself runs
    image = config.get("rootfsImageName")
    # until the container is first initialised, the stored spec says uid 0 whatever was declared: the declared user
    declared = config.get("user")
    user = declared if runtime_spec is None and isinstance(declared, str) else ctr.user
    return dataclasses.replace(
        ctr, key=f"podman:{root.owner}/{name}", user=user, name=name if root.owner_uid == 0 else f"{root.owner}/{name}",
        source="podman", image=image if isinstance(image, str) else "", privileged=config.get("privileged") is True
        or ctr.privileged, labels={str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {},
        namespaces=namespaces, owner=root.owner, owner_uid=root.owner_uid)


def read_store(root: StoreRoot) -> tuple[PodmanStore, list[Container]]:
    """The containers of one storage root, and what was read."""
    for relative, records_of in ((BOLT_DB, _bolt_records), (SQLITE_DB, _sqlite_records)):
        path = os.path.join(root.path, relative)
        try:
            data = _read_owned(path, root.owner_uid)
            if data is None:
                continue
            records = records_of(data)
        except (OSError, ValueError, BoltError) as exc:
            return PodmanStore(root.path, root.owner, root.owner_uid, path, f"{path}: {exc}"), []
        found = [c for c in (container_from(config, state, root) for config, state in records) if c is not None]
        return PodmanStore(root.path, root.owner, root.owner_uid, path), found
    return PodmanStore(root.path, root.owner, root.owner_uid, ""), []


def store_state(ctx: CollectContext) -> tuple[tuple, bool]:
    """A value that changes whenever a file `collect` reads does (each root; the identity, owner, size and times of
    its databases and runtime specs: a user can set a file's mtime back, never its ctime), and whether it is settled:
    no file changed in the last SETTLED_S, within which it may change again without its times moving (they advance
    by clock ticks)."""
    state, latest = [], 0
    for root in discover_roots(ctx):
        for path in (os.path.join(root.path, BOLT_DB), os.path.join(root.path, SQLITE_DB), *_runtime_specs(root.path)):
            try:
                info = os.lstat(host_path(path, follow=False))
            except OSError as exc:
                state.append((root, path, type(exc).__name__))
                continue
            state.append((root, path, info.st_dev, info.st_ino, info.st_mode, info.st_uid, info.st_size,
                          info.st_mtime_ns, info.st_ctime_ns))
            latest = max(latest, info.st_ctime_ns)
    return tuple(state), latest < time.time_ns() - SETTLED_S * 1e9


def collect(ctx: CollectContext) -> PodmanFacts:
    roots = discover_roots(ctx)
    if not roots:
        raise CollectorSkipped("podman: no libpod storage (root's or any user's)")
    stores, found = [], []
    for root in roots:
        store, containers = read_store(root)
        stores.append(store)
        found += [(ctr, f"{root.path}/{ctr.id}", f"id {ctr.id[:12]}") for ctr in containers]
    facts = PodmanFacts(tuple(stores), tuple(sorted(distinct_subjects(found), key=lambda c: c.key)))
    errors = [s.error for s in stores if s.error]
    if errors:
        raise PartialFacts(facts, "podman: " + "; ".join(errors))
    return facts
