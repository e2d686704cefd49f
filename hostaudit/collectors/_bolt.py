"""A read-only reader of bbolt database files (the format of Podman's `bolt_state.db`), from their bytes.

The file layout is etcd's bbolt: two meta pages (the valid one with the higher transaction id names the root
bucket), branch and leaf pages of 16-byte elements, and buckets that are either a page of their own or stored
inline in their parent's value. Nothing here writes, locks or mmaps the file: the caller hands over bytes it read.
The file is its user's to write: a page reached twice in one walk (a cycle, or branches fanning out onto the same
pages) is a corrupt file, and the pages and elements read in all walks of one file have a budget.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

MAGIC = 0xED0CDAED
VERSION = 2
PAGE_HEADER = struct.Struct("<QHHI")  # id, flags, count, overflow
META = struct.Struct("<IIIIQQQQQ")  # magic, version, page size, flags, root bucket (root, sequence), freelist,
#                                     high-water page id, transaction id; then the checksum (uint64)
BRANCH_ELEMENT = struct.Struct("<IIQ")  # pos, key size, child page id
LEAF_ELEMENT = struct.Struct("<IIII")  # flags, pos, key size, value size
BUCKET_HEADER = struct.Struct("<QQ")  # root page id (0: inline), sequence
BRANCH, LEAF, META_PAGE = 0x01, 0x02, 0x04
BUCKET_LEAF = 0x01
MAX_DEPTH = 32  # deeper than any real tree
NODE_BUDGET = 2_000_000  # pages and elements read from one file; a 100,000-container database reads a few 100,000


class BoltError(ValueError):
    """The bytes are not a bbolt database this reader understands."""


def _fnv64a(data: bytes) -> int:
    value = 0xCBF29CE484222325
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return value


def _keys(items: Iterator[tuple[bytes, bytes, bool]]) -> dict[bytes, bytes | None]:
    """A bucket's keys: a key's value, or None for a nested bucket."""
    return {key: None if nested else value for key, value, nested in items}


class BoltFile:
    """The buckets of one bbolt file, read from its bytes."""

    def __init__(self, data: bytes, budget: int = NODE_BUDGET) -> None:
        self.data = data
        self.budget = budget  # pages and elements still to read, over every walk
        first = self._meta(0)
        second = self._meta(first[0] if first else 4096)  # page 1, one page size in
        metas = [m for m in (first, second) if m is not None]
        if not metas:
            raise BoltError("no valid bbolt meta page")
        self.page_size, self.root, _ = max(metas, key=lambda m: m[2])

    def _meta(self, offset: int) -> tuple[int, int, int] | None:
        """Page size, root bucket page and transaction id of the meta page at `offset`, if it is valid."""
        start = offset + PAGE_HEADER.size
        if len(self.data) < start + META.size + 8:
            return None
        _, flags, _, _ = PAGE_HEADER.unpack_from(self.data, offset)
        magic, version, size, _, root, _, _, _, txid = META.unpack_from(self.data, start)
        (checksum,) = struct.unpack_from("<Q", self.data, start + META.size)
        if not flags & META_PAGE or magic != MAGIC or version != VERSION or size < 512:
            return None
        if _fnv64a(self.data[start:start + META.size]) != checksum:
            return None
        return size, root, txid

    def _spend(self, nodes: int) -> None:
        self.budget -= nodes
        if self.budget < 0:
            raise BoltError("more pages and elements than the reader's budget: not a real database")

    def _page(self, page_id: int, visited: set[int], depth: int) -> Iterator[tuple[bytes, bytes, bool]]:
        """The elements of the tree at page `page_id` of the file, each page of it read at most once per walk."""
        if page_id in visited:
            raise BoltError(f"page {page_id} visited twice: corrupt file")
        visited.add(page_id)
        return self._elements(self.data, page_id * self.page_size, visited, depth)

    def _elements(self, buf: bytes, offset: int, visited: set[int], depth: int
                  ) -> Iterator[tuple[bytes, bytes, bool]]:
        if depth > MAX_DEPTH or offset + PAGE_HEADER.size > len(buf):
            raise BoltError("page out of range or tree too deep")
        _, flags, count, _ = PAGE_HEADER.unpack_from(buf, offset)
        self._spend(1 + count)
        base = offset + PAGE_HEADER.size
        if flags & LEAF:
            for index in range(count):
                element = base + LEAF_ELEMENT.size * index
                if element + LEAF_ELEMENT.size > len(buf):
                    raise BoltError("leaf element out of range")
                kind, pos, key_size, value_size = LEAF_ELEMENT.unpack_from(buf, element)
                key_at = element + pos
                if key_at + key_size + value_size > len(buf):
                    raise BoltError("leaf element out of range")
                yield (buf[key_at:key_at + key_size], buf[key_at + key_size:key_at + key_size + value_size],
                       bool(kind & BUCKET_LEAF))
        elif flags & BRANCH:
            for index in range(count):
                element = base + BRANCH_ELEMENT.size * index
                if element + BRANCH_ELEMENT.size > len(buf):
                    raise BoltError("branch element out of range")
                _, _, child = BRANCH_ELEMENT.unpack_from(buf, element)
                yield from self._page(child, visited, depth + 1)
        else:
            raise BoltError(f"unexpected page flags {flags:#x}")

    def _bucket_items(self, value: bytes, visited: set[int], depth: int) -> Iterator[tuple[bytes, bytes, bool]]:
        if len(value) < BUCKET_HEADER.size:
            raise BoltError("bucket header too short")
        root, _ = BUCKET_HEADER.unpack_from(value, 0)
        if root == 0:
            return self._elements(value, BUCKET_HEADER.size, visited, depth)
        return self._page(root, visited, depth)

    def _walk(self, path: tuple[bytes, ...], visited: set[int]) -> Iterator[tuple[bytes, bytes, bool]] | None:
        """The items of the bucket at `path`, or None when there is no such bucket."""
        items = self._page(self.root, visited, 0)
        for depth, name in enumerate(path, start=1):
            value = next((v for k, v, nested in items if nested and k == name), None)
            if value is None:
                return None
            items = self._bucket_items(value, visited, depth)
        return items

    def bucket(self, *path: bytes) -> dict[bytes, bytes | None]:
        """The keys of the bucket at `path` (names from the root): a key's value, or None for a nested bucket.
        A bucket that does not exist is empty."""
        items = self._walk(path, set())
        return {} if items is None else _keys(items)

    def buckets(self, *path: bytes) -> dict[bytes, dict[bytes, bytes | None]]:
        """The buckets nested in the bucket at `path`, each with its keys (as `bucket` gives them), in one walk."""
        visited: set[int] = set()
        items = self._walk(path, visited)
        return {} if items is None else {name: _keys(self._bucket_items(value, visited, len(path) + 1))
                                         for name, value, nested in items if nested}
