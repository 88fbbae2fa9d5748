"""The Kconfig database: every definition of every symbol, packed per symbol, and its storage on disk.

Most questions reach a few hundred of a tree's ~25,000 symbols. A database built from a tree's files builds
its entries as questions reach them (patchcheck.source.kconfig_lazy), and is saved with the entries built so
far and what each file mentions; one completed (a derivation needs every entry) is saved whole. Either way a
definition is packed as a JSON array (ASCII), the packed entries are stored back to back after a one-line
header that names them and where each ends, and loading reads the file and the header: an entry is sliced
out of the blob, and unpacked, when a question reaches its symbol. A damaged entry unpacks as nothing (the
symbol reads as undefined), a damaged header is a cache miss.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from patchcheck.source import plaindata
from patchcheck.source.cache import DiskCache
from patchcheck.source.kconfig import Definition
from patchcheck.source.kconfig_lazy import KconfigFiles, LazyEntries, Read

SourcedAt = tuple[str | None, tuple[str, ...], str | None]


@dataclass
class KconfigDB:
    """Every definition of every symbol, who selects it, and under which condition each file is read.

    Definitions are kept packed per symbol (JSON arrays, ASCII), built or sliced out of the cached blob when
    a question reaches their symbol (see the module doc). Iterating a lazily built table (or its len or
    bool) builds every entry first: `has_definitions` answers without.
    """

    arches: tuple[str, ...]
    # file -> sites that source it: (sourcing file or None for the root, conditions there, architecture)
    sourced_from: dict[str, list[SourcedAt]] = field(default_factory=dict)
    packed_definitions: Mapping[str, str] = field(default_factory=dict)
    packed_selectors: Mapping[str, str] = field(default_factory=dict)
    choices: Mapping[tuple[str, int], list[str]] = field(default_factory=dict)
    # `source` lines not followed: they expand to more than MAX_EXPANSIONS paths
    unexpanded: list[str] = field(default_factory=list)
    # Set when the tables are built as questions reach them (patchcheck.source.kconfig_lazy)
    lazy: LazyEntries | None = None

    def has_definitions(self) -> bool:
        """Whether any Kconfig file defines a symbol (without building every entry)."""
        return self.lazy.has_definitions() if self.lazy is not None else bool(self.packed_definitions)

    def complete(self) -> None:
        """Every entry built (a database derived from this one starts from all of them)."""
        if self.lazy is not None:
            self.lazy.complete()

    def exists(self, name: str) -> bool:
        return name in self.packed_definitions

    def symbols(self) -> list[str]:
        return list(self.packed_definitions)

    def definitions_of(self, name: str) -> list[Definition]:
        """Every `config NAME` block (path, line, type, prompt, depends, defaults, selects)."""
        scanned = self.lazy.definitions_of(name) if self.lazy is not None else None
        if scanned is not None:
            return list(scanned)
        packed = self.packed_definitions.get(name)
        if packed is None:
            return []
        found = _unpacked_definitions.get(packed)
        if found is None:
            try:
                found = tuple(_definition(d) for d in _unpack(packed))
            except (TypeError, ValueError):
                found = ()  # a damaged cache entry: the symbol reads as undefined, never a crash
            _unpacked_definitions[packed] = found
        return list(found)

    def selectors_of(self, name: str) -> list[tuple[Definition, str]]:
        """(definition that selects NAME, its `if` condition or "")."""
        scanned = self.lazy.selections_of(name) if self.lazy is not None else None
        if scanned is not None:
            return list(scanned)
        packed = self.packed_selectors.get(name)
        if packed is None:
            return []
        found = []
        for entry in _unpack(packed):
            if not (isinstance(entry, list) and [type(v) for v in entry] == [str, int, str]):
                return []  # a damaged cache entry
            by, index, cond = entry
            definitions = self.definitions_of(by)
            if 0 <= index < len(definitions):
                found.append((definitions[index], cond))
        return found

    def impliers_of(self, name: str) -> list[tuple[Definition, str]]:
        """(definition that has `imply NAME`, its `if` condition or "")."""
        return self.selectors_of("?" + name)

    def choice_members(self, definition: Definition) -> list[str]:
        if not definition.choice:
            return []
        members = self.choices.get((definition.path, definition.choice), [])
        return [name for name in members if name != definition.name]


# Packed definitions as unpacked once: each selector entry unpacks its selector's definitions again. Keyed by
# the packed text, so an entry of any table or database that packs alike shares it.
_unpacked_definitions: dict[str, tuple[Definition, ...]] = {}


def pack(value: list[tuple[Any, ...]]) -> str:
    """Definitions or selector entries as plain JSON arrays (ASCII): a cold scan packs ~25,000 of them."""
    return "".join(_C_ENCODE(value, 0)) if _C_ENCODE is not None else _ENCODE(value)


# One encoder for every entry: json.dumps with any non-default argument builds a new one per call, and even
# JSONEncoder.encode builds its C encoder anew each time (most of the cost of a small entry); the json
# module's C encoder, made once with the arguments encode() passes it, writes the same text.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True, check_circular=False)
_ENCODE = _ENCODER.encode
_MAKE_C_ENCODER = getattr(json.encoder, "c_make_encoder", None)  # None without the json module's C code
_C_ENCODE = (
    _MAKE_C_ENCODER(
        None, _ENCODER.default, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, True
    )
    if _MAKE_C_ENCODER is not None
    else None
)


def _unpack(packed: str) -> list[Any]:
    """Packed definitions or selectors (JSON arrays); a damaged cache entry unpacks as nothing."""
    try:
        value = json.loads(packed)
    except (ValueError, RecursionError):
        return []
    return value if isinstance(value, list) else []


def rows(packed: str, width: int) -> list[tuple[Any, ...]]:
    """Packed rows as tuples, those of another width (damaged) left out."""
    return [tuple(row) for row in _unpack(packed) if isinstance(row, list) and len(row) == width]


def _strings(value: Any) -> tuple[str, ...]:
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise ValueError("not a list of strings")
    return tuple(value)


def _definition(d: Any) -> Definition:
    """A Definition from its packed array (ValueError or TypeError when damaged)."""
    if not (isinstance(d, list) and len(d) == 9):
        raise ValueError("not a packed definition")
    name, path, line, kind, prompt, depends, defaults, selects, choice = d
    if not all(isinstance(v, str) for v in (name, path, kind)) or type(line) is not int:
        raise ValueError("not a packed definition")
    if type(prompt) is not bool or type(choice) is not int or not isinstance(defaults, list):
        raise ValueError("not a packed definition")
    if not isinstance(selects, list):
        raise ValueError("not a packed definition")
    pairs = [_strings(p) for p in (*defaults, *selects)]
    if any(len(p) != 2 for p in pairs):
        raise ValueError("not a packed definition")
    return Definition(
        name,
        path,
        line,
        kind,
        prompt,
        _strings(depends),
        tuple((p[0], p[1]) for p in pairs[: len(defaults)]),
        tuple((p[0], p[1]) for p in pairs[len(defaults) :]),
        choice,
    )


_NAMESPACE = "kconfig-db-v4"


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


_Index = tuple[list[list[str]], list[int]]  # the names of each table, and where each entry ends


def store_tables(cache: DiskCache, key: str, small: Any, tables: list[Mapping[str, str]]) -> None:
    """Save `small` (plain data) and `tables` (packed entries by name) under `key`."""
    try:
        parts = [[(name, table[name].encode("ascii")) for name in table] for table in tables]
    except UnicodeEncodeError:
        return  # packed entries are ASCII JSON: anything else is not saved
    blob = b"".join(data for part in parts for _, data in part)
    ends = list(accumulate(len(data) for part in parts for _, data in part))
    names = [[name for name, _ in part] for part in parts]
    cache.put_with_blob(_NAMESPACE, key, (small, names, ends), blob)


def fetch_tables(cache: DiskCache, key: str) -> tuple[Any, list[PackedTable]] | None:
    """(`small`, tables) as `store_tables` saved them, or None (absent, a header of another shape, or one
    that does not fit the blob). An entry that does not unpack reads as an undefined symbol."""
    found = cache.get_with_blob(_NAMESPACE, key)
    if found is None:
        return None
    head, data, offset = found
    if not (isinstance(head, tuple) and len(head) == 3 and plaindata.fits(head[1:], _Index)):
        return None
    small, names, ends = head
    if len(ends) != sum(len(n) for n in names):
        return None
    starts = [offset, *(offset + end for end in ends)]
    if any(b < a for a, b in itertools.pairwise(starts)):
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


def store_db(cache: DiskCache, key: str, db: KconfigDB) -> None:
    """Save `db`; one whose tables are built as questions reach them is saved with the entries built so far
    and what each unscanned file mentions, and is taken up lazily again by `fetch_db`."""
    # `sourced_from` as flat rows (file, sourcing file, conditions, architecture), in one JSON text: the json
    # module's C code writes and reads it, where plain data would make a Python call per string.
    sourcing = json.dumps(
        [
            [path, parent, list(conds), arch]
            for path, sites in db.sourced_from.items()
            for parent, conds, arch in sites
        ],
        separators=(",", ":"),
    )
    if db.lazy is not None and db.lazy.full is None:
        definitions, selectors, choices = db.lazy.kept()
        files = db.lazy.files
        lazy: tuple[list[str], list[str]] | None = (files.order, _names_by_file(files))
        tables: list[Mapping[str, str]] = [definitions, selectors]
    else:
        choices, lazy, tables = dict(db.choices), None, [db.packed_definitions, db.packed_selectors]
    store_tables(cache, key, (db.arches, sourcing, choices, db.unexpanded, lazy), tables)


def fetch_db(cache: DiskCache, key: str, read: Read | None = None) -> KconfigDB | None:
    """The database saved under `key`; one saved lazily needs `read` (the files of the tree it was built
    from, unchanged since), and is a miss without."""
    found = fetch_tables(cache, key)
    if found is None or len(found[1]) != 2:
        return None
    small = found[0]
    if not (isinstance(small, tuple) and len(small) == 5 and isinstance(small[1], str)):
        return None
    try:
        rows = json.loads(small[1])
    except (ValueError, RecursionError):
        return None
    sourced_from = _sourced_from(rows) if isinstance(rows, list) else None
    if sourced_from is None or not plaindata.fits((small[0], small[2], small[3], small[4]), _Rest):
        return None
    (arches, _, choices, unexpanded, lazy), (definitions, selectors) = small, found[1]
    if lazy is None:
        return KconfigDB(arches, sourced_from, definitions, selectors, choices, unexpanded)
    if read is None:
        return None
    order, by_file = lazy
    if len(by_file) != len(order):
        return None
    named = [names.split("\n")[:-1] for names in by_file]
    entries = LazyEntries(KconfigFiles(order, named, read), pack, (definitions, selectors, choices))
    db = KconfigDB(arches, sourced_from, entries.definitions, entries.selectors, entries.choices, unexpanded)
    db.lazy = entries
    return db


_Rest = tuple[
    tuple[str, ...],
    dict[tuple[str, int], list[str]],
    list[str],
    tuple[list[str], list[str]] | None,
]


def _names_by_file(files: KconfigFiles) -> list[str]:
    """What each file mentions, one string per file in reading order, each name ended by a newline (a name
    is one line's text at most, and may be empty): one string per file is much cheaper to save and read back
    than a list of files per name (~20,000 names in Linux)."""
    return ["\n".join(names) + "\n" if names else "" for names in files.named]


def _sourced_from(rows: list[Any]) -> dict[str, list[SourcedAt]] | None:
    """The rows `store_db` wrote, or None when one is of another shape."""
    found: dict[str, list[SourcedAt]] = {}
    for row in rows:
        if not (isinstance(row, list) and len(row) == 4):
            return None
        path, parent, conds, arch = row
        if not (
            type(path) is str
            and (parent is None or type(parent) is str)
            and (arch is None or type(arch) is str)
            and type(conds) is list
            and all(type(c) is str for c in conds)
        ):
            return None
        found.setdefault(path, []).append((parent, tuple(conds), arch))
    return found
