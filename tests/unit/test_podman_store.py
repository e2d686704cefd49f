"""Reading libpod storage: a bolt_state.db recorded from Podman 4.3 (`podman create` of `priv` with --privileged and
`sysadm` with --cap-add SYS_ADMIN), a db.sql in libpod's table layout, and hostile or broken files."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from hostaudit import catalog, engine
from hostaudit.collectors import CollectContext, podman
from hostaudit.collectors._bolt import BoltError, BoltFile
from hostaudit.collectors.podman import BOLT_DB, StoreRoot, container_from, read_store
from hostaudit.model import Status

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
