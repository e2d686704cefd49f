"""Podman storage files a user can leave in their home to hang a reader: a libpod db.sql whose `ContainerConfig` is
an endless recursive view, one with a trigger, and bbolt files whose branch pages fan out or point at each other.
The SQLite files are made by the real `sqlite3` module; the bbolt files follow etcd's page layout byte for byte."""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path

PAGE = 4096
ENDLESS_VIEW = ("CREATE VIEW ContainerConfig AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) "
                "SELECT CAST(n AS TEXT) AS ID, '{}' AS JSON FROM r WHERE n < 0")


# a column computed as it is read: 12 nested replace() over 16 MB, about half a second a row, in one step of SQLite's
# VM; the length of the row's ID keeps SQLite from computing it once for all rows
SLOW_COLUMN = "hex(zeroblob(8000000 + length(ID)))"
for _ in range(12):
    SLOW_COLUMN = f"replace({SLOW_COLUMN}, '0', '1')"


def libpod_sqlite(path: Path, *, endless_view: bool = False, trigger: bool = False, slow_rows: int = 0) -> Path:
    """A db.sql in libpod's table layout; `endless_view`: ContainerConfig is a view that never returns a row;
    `trigger`: a trigger hangs on ContainerConfig; `slow_rows`: that many rows whose JSON is a generated column
    that takes long to compute."""
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE ContainerState (ID TEXT PRIMARY KEY, JSON TEXT)")
        if endless_view:
            connection.execute(ENDLESS_VIEW)
        elif slow_rows:  # the rows first: SQLite computes the column as each is inserted too
            connection.execute("CREATE TABLE ContainerConfig (ID TEXT PRIMARY KEY, Name TEXT, PodID TEXT)")
            connection.executemany("INSERT INTO ContainerConfig VALUES (?, 'slow', NULL)",
                                   [(str(row),) for row in range(slow_rows)])
            connection.execute(f"ALTER TABLE ContainerConfig ADD COLUMN JSON TEXT GENERATED ALWAYS AS "
                               f"(length({SLOW_COLUMN})) VIRTUAL")
        else:
            connection.execute("CREATE TABLE ContainerConfig (ID TEXT PRIMARY KEY, Name TEXT, PodID TEXT, JSON TEXT)")
        if trigger:
            connection.execute("CREATE TRIGGER stamp AFTER INSERT ON ContainerConfig BEGIN "
                               "UPDATE ContainerState SET JSON = NEW.JSON WHERE ID = NEW.ID; END")
    connection.close()
    return path


def _fnv64a(data: bytes) -> int:
    value = 0xCBF29CE484222325
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return value


def _meta_page(page_id: int, root: int, pages: int) -> bytes:
    meta = struct.pack("<IIIIQQQQQ", 0xED0CDAED, 2, PAGE, 0, root, 0, 0, pages, page_id + 1)
    page = struct.pack("<QHHI", page_id, 0x04, 0, 0) + meta + struct.pack("<Q", _fnv64a(meta))
    return page.ljust(PAGE, b"\0")


def _branch_page(page_id: int, children: list[int]) -> bytes:
    header = struct.pack("<QHHI", page_id, 0x01, len(children), 0)
    elements = b"".join(struct.pack("<IIQ", 0, 0, child) for child in children)
    return (header + elements).ljust(PAGE, b"\0")


def _bolt(branches: list[list[int]]) -> bytes:
    """Meta pages 0 and 1 naming page 2 as the root, then the branch pages 2.. with these children, then a leaf."""
    leaf_id = 2 + len(branches)
    body = b"".join(_branch_page(2 + index, children) for index, children in enumerate(branches))
    leaf = struct.pack("<QHHI", leaf_id, 0x02, 0, 0).ljust(PAGE, b"\0")
    return _meta_page(0, 2, leaf_id + 1) + _meta_page(1, 2, leaf_id + 1) + body + leaf


def fanned_out_bolt(levels: int = 16, fan: int = 255) -> bytes:
    """A 76 KB bolt_state.db whose root is `levels` branch pages, each with `fan` elements all pointing at the next
    level: a walk that follows every element visits fan**levels leaves (255**16 by default)."""
    return _bolt([[3 + level] * fan for level in range(levels - 1)] + [[2 + levels] * fan])


def cyclic_bolt() -> bytes:
    """A bolt_state.db whose two root branch pages point at each other (twice each): a walk never reaches a leaf."""
    return _bolt([[3, 3], [2, 2]])
