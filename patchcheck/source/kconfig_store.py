"""The Kconfig database on disk: its small parts as plain data, its packed definitions as one raw blob.

A warm run loads the database of every state it checks, and most questions reach a few dozen of its ~25,000
symbols. So the packed entries (ASCII JSON, patchcheck.source.plaindata) are stored back to back after a
one-line header that names them and where each ends; loading reads the file and the header, and an entry is
sliced out of the blob when a question reaches it. A damaged entry unpacks as nothing (the symbol reads as
undefined), a damaged header is a cache miss.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from itertools import accumulate
from typing import Any

from patchcheck.source.cache import DiskCache

_NAMESPACE = "kconfig-db-v2"


class PackedTable(Mapping[str, str]):
    """Packed entries by name, sliced out of one blob when asked for."""

    def __init__(self, blob: bytes, spans: dict[str, tuple[int, int]]) -> None:
        self._blob = blob
        self._spans = spans

    def __getitem__(self, name: str) -> str:
        start, end = self._spans[name]
        return self._blob[start:end].decode("ascii", "replace")

    def __contains__(self, name: object) -> bool:
        return name in self._spans

    def __iter__(self) -> Iterator[str]:
        return iter(self._spans)

    def __len__(self) -> int:
        return len(self._spans)


def store(cache: DiskCache, key: str, small: Any, tables: list[Mapping[str, str]]) -> None:
    """Save `small` (plain data) and `tables` (packed entries by name) under `key`."""
    try:
        parts = [[(name, table[name].encode("ascii")) for name in table] for table in tables]
    except UnicodeEncodeError:
        return  # packed entries are ASCII JSON: anything else is not saved
    blob = b"".join(data for part in parts for _, data in part)
    ends = list(accumulate(len(data) for part in parts for _, data in part))
    names = [[name for name, _ in part] for part in parts]
    cache.put_with_blob(_NAMESPACE, key, (small, names, ends), blob)


def fetch(cache: DiskCache, key: str) -> tuple[Any, list[PackedTable]] | None:
    """(`small`, tables) as `store` saved them, or None (absent, or the header does not fit the blob). The
    header is checked at its top: the cache is patchcheck's own, and an entry that does not unpack reads as
    an undefined symbol."""
    found = cache.get_with_blob(_NAMESPACE, key)
    if found is None:
        return None
    head, data, offset = found
    if not (
        isinstance(head, tuple) and len(head) == 3 and isinstance(head[1], list) and isinstance(head[2], list)
    ):
        return None
    small, names, ends = head
    if not all(isinstance(n, list) for n in names) or len(ends) != sum(len(n) for n in names):
        return None
    starts = [offset, *(offset + end for end in ends)]
    if any(type(end) is not int for end in ends) or any(b < a for a, b in itertools.pairwise(starts)):
        return None
    if starts[-1] != len(data):
        return None
    tables = []
    at = 0
    for table_names in names:
        upto = at + len(table_names)
        spans = zip(starts[at:upto], starts[at + 1 : upto + 1], strict=True)
        tables.append(PackedTable(data, dict(zip(table_names, spans, strict=True))))
        at = upto
    return small, tables
