"""A read-only reader of bbolt database files (the format of Podman's `bolt_state.db`), from their bytes.

The file layout is etcd's bbolt: two meta pages (the valid one with the higher transaction id names the root
bucket), branch and leaf pages of 16-byte elements, and buckets that are either a page of their own or stored
inline in their parent's value. Nothing here writes, locks or mmaps the file: the caller hands over bytes it read.
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
MAX_DEPTH = 32  # deeper than any real tree: a cycle in a corrupt file stops here


class BoltError(ValueError):
    """The bytes are not a bbolt database this reader understands."""


def _fnv64a(data: bytes) -> int:
    value = 0xCBF29CE484222325
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return value


class BoltFile:
    """The buckets of one bbolt file, read from its bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
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

    def _elements(self, buf: bytes, offset: int, depth: int) -> Iterator[tuple[bytes, bytes, bool]]:
        if depth > MAX_DEPTH or offset + PAGE_HEADER.size > len(buf):
            raise BoltError("page out of range or tree too deep")
        _, flags, count, _ = PAGE_HEADER.unpack_from(buf, offset)
        base = offset + PAGE_HEADER.size
        if flags & LEAF:
            for index in range(count):
                element = base + LEAF_ELEMENT.size * index
                kind, pos, key_size, value_size = LEAF_ELEMENT.unpack_from(buf, element)
                key_at = element + pos
                if key_at + key_size + value_size > len(buf):
                    raise BoltError("leaf element out of range")
                yield (buf[key_at:key_at + key_size], buf[key_at + key_size:key_at + key_size + value_size],
                       bool(kind & BUCKET_LEAF))
        elif flags & BRANCH:
            for index in range(count):
                _, _, child = BRANCH_ELEMENT.unpack_from(buf, base + BRANCH_ELEMENT.size * index)
                yield from self._elements(self.data, child * self.page_size, depth + 1)
        else:
            raise BoltError(f"unexpected page flags {flags:#x}")

    def _bucket_items(self, value: bytes, depth: int) -> Iterator[tuple[bytes, bytes, bool]]:
        if len(value) < BUCKET_HEADER.size:
            raise BoltError("bucket header too short")
        root, _ = BUCKET_HEADER.unpack_from(value, 0)
        if root == 0:
            return self._elements(value, BUCKET_HEADER.size, depth)
        return self._elements(self.data, root * self.page_size, depth)

    def bucket(self, *path: bytes) -> dict[bytes, bytes | None]:
        """The keys of the bucket at `path` (names from the root): a key's value, or None for a nested bucket.
        A bucket that does not exist is empty."""
        items = self._elements(self.data, self.root * self.page_size, 0)
        for depth, name in enumerate(path, start=1):
            value = next((v for k, v, nested in items if nested and k == name), None)
            if value is None:
                return {}
            items = self._bucket_items(value, depth)
        return {key: None if nested else value for key, value, nested in items}
