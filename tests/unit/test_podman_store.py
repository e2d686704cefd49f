"""Reading libpod storage: a bolt_state.db recorded from Podman 4.3 (`podman create` of `priv` with --privileged and
`sysadm` with --cap-add SYS_ADMIN), a db.sql in libpod's table layout, and hostile or broken files."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import multiprocessing
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostaudit import catalog, engine
from hostaudit.collectors import CollectContext, podman
from hostaudit.collectors._bolt import BoltError, BoltFile
from hostaudit.collectors.podman import BOLT_DB, SQLITE_DB, StoreRoot, container_from, read_store
from hostaudit.model import Status
from tests.hostile_storage import cyclic_bolt, fanned_out_bolt, libpod_sqlite

RECORDED = Path(__file__).parent / "fixtures" / "podman" / "two-created-bolt_state.db"
UID = os.geteuid()


def _store(tmp_path: Path, db: bytes | None = None) -> StoreRoot:
    (tmp_path / "libpod").mkdir()
    if db is not None:
        (tmp_path / BOLT_DB).write_bytes(db)
    return StoreRoot(str(tmp_path), "someone", UID)


def test_recorded_bolt_database_lists_both_containers():
    db = BoltFile(RECORDED.read_bytes())
    assert sorted(db.bucket(b"all-ctrs").values()) == [b"priv", b"sysadm"]
    assert db.bucket(b"no-such-bucket") == {}


def test_store_gives_created_containers_with_owner_and_declared_privilege(tmp_path):
    store, found = read_store(_store(tmp_path, RECORDED.read_bytes()))
    assert store.error is None and store.database.endswith(BOLT_DB)
    by_name = {c.name.split("/")[-1]: c for c in found}
    assert set(by_name) == {"priv", "sysadm"}
    assert {c.state for c in found} == {"created"} and {c.pid for c in found} == {None}
    assert by_name["priv"].privileged and not by_name["sysadm"].privileged
    assert "SYS_ADMIN" in (by_name["sysadm"].bounding_caps or ())
    assert {(c.source, c.owner, c.owner_uid) for c in found} == {("podman", "someone", UID)}


@pytest.mark.parametrize("damage", [lambda d: d[:5000], lambda d: b"\0" * len(d), lambda d: d[:4096] + b"\xff" * 9000])
def test_damaged_bolt_database_is_an_error_of_that_store_never_a_crash(tmp_path, damage):
    store, found = read_store(_store(tmp_path, damage(RECORDED.read_bytes())))
    assert found == [] and store.error


def test_bolt_reader_refuses_garbage():
    with pytest.raises(BoltError):
        BoltFile(b"not a database")


def test_symlinked_database_is_not_followed(tmp_path):
    elsewhere = tmp_path / "elsewhere.db"
    shutil.copy(RECORDED, elsewhere)
    root = _store(tmp_path)
    (Path(root.path) / BOLT_DB).symlink_to(elsewhere)
    store, found = read_store(root)
    assert found == [] and store.error


def test_database_owned_by_another_user_is_not_read(tmp_path):
    root = _store(tmp_path, RECORDED.read_bytes())
    store, found = read_store(StoreRoot(root.path, "other", UID + 1))
    assert found == [] and "owned by uid" in (store.error or "")


def test_sqlite_database_in_libpod_layout(tmp_path):
    config = {"id": "a" * 64, "name": "web", "privileged": False, "rootfsImageName": "img",
              "spec": {"process": {"user": {"uid": 0, "gid": 0}}, "linux": {}}}
    path = tmp_path / "db.sql"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE ContainerConfig (ID TEXT PRIMARY KEY, Name TEXT, PodID TEXT, JSON TEXT)")
        connection.execute("CREATE TABLE ContainerState (ID TEXT PRIMARY KEY, JSON TEXT)")
        connection.execute("INSERT INTO ContainerConfig VALUES (?, ?, NULL, ?)", ("a" * 64, "web", json.dumps(config)))
        connection.execute("INSERT INTO ContainerState VALUES (?, ?)", ("a" * 64, json.dumps({"state": 6})))
    store, found = read_store(StoreRoot(str(tmp_path), "root", UID))
    assert store.error is None and [(c.key, c.state, c.image) for c in found] == [("podman:root/web", "exited", "img")]


def test_rootless_database_cannot_lend_its_container_another_process(tmp_path):
    """A user's database naming pid 1 (not in that user's namespace) as its running container gets no /proc view."""
    config = {"id": "b" * 64, "name": "liar", "spec": {"process": {}, "linux": {}}}
    running = json.dumps({"state": 3, "pid": 1})
    ctr = container_from(json.dumps(config), running, StoreRoot(str(tmp_path), "alice", 4321))
    assert ctr is not None and ctr.state == "running" and ctr.pid is None
    trusted = container_from(json.dumps(config), running, StoreRoot(str(tmp_path), "root", 0))
    assert trusted is not None and trusted.pid == 1


def test_two_containers_with_one_name_in_one_store_are_two_subjects_each_judged(tmp_path, lab_snapshot):
    """A user's database is the user's to write: it can list two containers under one name. They shared one key, so
    one verdict stood for a privileged container and a harmless one. The records are those real Podman wrote at
    `create` (the recorded bolt database), put in a libpod db.sql by sqlite3, the second renamed to the first."""
    recorded = BoltFile(RECORDED.read_bytes())
    rows = []
    for ctr_id in recorded.bucket(b"ctr"):
        config = json.loads(recorded.bucket(b"ctr", ctr_id)[b"config"])
        config["name"] = "priv"  # the `sysadm` container, renamed as its owner's database may say
        rows.append((config["id"], json.dumps(config)))
    with sqlite3.connect(tmp_path / "db.sql") as connection:
        connection.execute("CREATE TABLE ContainerConfig (ID TEXT PRIMARY KEY, Name TEXT, PodID TEXT, JSON TEXT)")
        connection.execute("CREATE TABLE ContainerState (ID TEXT PRIMARY KEY, JSON TEXT)")
        connection.executemany("INSERT INTO ContainerConfig VALUES (?, 'priv', NULL, ?)", rows)
    facts = podman.collect(CollectContext(podman_roots=(str(tmp_path),)))
    assert len({c.key for c in facts.containers}) == 2 and len({c.name for c in facts.containers}) == 2
    privileged = {c.key: c.privileged for c in facts.containers}
    results = engine.evaluate_check(catalog.load()["container.privileged"],
                                    dataclasses.replace(lab_snapshot, podman=facts))
    verdicts = {r.subject.key: r.status for r in results if r.subject.key in privileged}
    assert verdicts == {key: Status.FAIL if declared else Status.PASS for key, declared in privileged.items()}
    assert sorted(privileged.values()) == [False, True]
    assert all(c.id[:12] in c.name for c in facts.containers)


def _within(seconds: float, function, *args):
    """`function(*args)` in a forked child, failed (not hung) when it takes longer than `seconds`."""
    pool = multiprocessing.get_context("fork").Pool(1)
    try:
        return pool.apply_async(function, args).get(timeout=seconds)
    except multiprocessing.TimeoutError:
        pytest.fail(f"{function.__name__} still running after {seconds} s")
    finally:
        pool.terminate()
        pool.join()


def _sqlite_store(tmp_path: Path, **hostile: int) -> StoreRoot:
    libpod_sqlite(tmp_path / SQLITE_DB, **hostile)
    return StoreRoot(str(tmp_path), "someone", UID)


def test_endless_recursive_view_named_like_the_table_is_refused_at_once(tmp_path):
    store, found = _within(10, read_store, _sqlite_store(tmp_path, endless_view=True))
    assert found == [] and "ContainerConfig" in (store.error or "") and "view" in (store.error or "")


def test_generated_column_computed_as_it_is_read_is_refused(tmp_path):
    """100 rows of a column that takes half a second each to compute, each in a single step the step budget never
    sees."""
    store, found = _within(10, read_store, _sqlite_store(tmp_path, slow_rows=100))
    assert found == [] and "ContainerConfig.JSON is a generated column" in (store.error or "")


def test_trigger_on_a_table_read_is_refused(tmp_path):
    store, found = _within(10, read_store, _sqlite_store(tmp_path, trigger=True))
    assert found == [] and "trigger" in (store.error or "")


ENDLESS = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r WHERE n < 0"


def _endless_query() -> list:
    from hostaudit.collectors.podman import bounded_rows

    return bounded_rows(sqlite3.connect(":memory:"), ENDLESS)


def test_query_past_its_budget_of_steps_is_aborted():
    """The VM-step budget stops what the table check cannot see: here sqlite's own endless recursive query."""
    with pytest.raises(ValueError, match="steps"):
        _within(10, _endless_query)


def test_rows_past_the_bound_are_refused():
    from hostaudit.collectors.podman import MAX_ROWS, bounded_rows

    counting = f"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n <= {MAX_ROWS}) SELECT n FROM r"
    with pytest.raises(ValueError, match="rows"):
        bounded_rows(sqlite3.connect(":memory:"), counting)


@pytest.mark.parametrize("crafted", [fanned_out_bolt, cyclic_bolt], ids=["fanned-out", "cyclic"])
def test_bolt_pages_visited_twice_are_a_corrupt_file_found_at_once(tmp_path, crafted):
    store, found = _within(10, read_store, _store(tmp_path, crafted()))
    assert found == [] and "visited twice" in (store.error or "")


def test_bolt_walk_past_its_node_budget_is_refused():
    with pytest.raises(BoltError, match="budget"):
        BoltFile(RECORDED.read_bytes(), budget=3).bucket(b"ctr")


def test_value_larger_than_the_bound_is_refused(tmp_path):
    root = _sqlite_store(tmp_path)
    with sqlite3.connect(Path(root.path) / SQLITE_DB) as connection:
        connection.execute("INSERT INTO ContainerConfig VALUES ('x', 'big', NULL, ?)", ("x" * (17 << 20),))
    connection.close()
    store, found = read_store(root)
    assert found == [] and "too big" in (store.error or "")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 2**16), st.binary(min_size=1, max_size=8)), min_size=1, max_size=12))
def test_any_damage_to_a_bolt_database_is_a_bolt_error_never_another_exception(patches):
    """Bytes written over the recorded file's pages (headers, counts, page ids, element offsets) are read or refused
    with BoltError: a stray struct.error or IndexError would cost the whole collector, not this store."""
    data = bytearray(RECORDED.read_bytes())
    for offset, patch in patches:
        data[offset % len(data):offset % len(data) + len(patch)] = patch
    with contextlib.suppress(BoltError):
        BoltFile(bytes(data)).buckets(b"ctr")
