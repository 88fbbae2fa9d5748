"""All Kconfig files of a tree, read by following `source` from the top-level Kconfig, cached on disk.

The warm path only stats the files it read last time (see `file_stamp`), so an unchanged tree costs no parse
and no read of its ~1800 Kconfig files. The database itself, and how it is stored, is
patchcheck.source.kconfig_db.
"""

from __future__ import annotations

import posixpath
import re
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from patchcheck.report.progress import progress
from patchcheck.source.cache import DiskCache, digest, file_stamp, known_stamp, save_at_end, save_later
from patchcheck.source.kconfig import KconfigFile, SourceSite
from patchcheck.source.kconfig_db import KconfigDB, fetch_db, pack, rows, store_db
from patchcheck.source.kconfig_lazy import (
    KconfigFiles,
    LazyEntries,
    scan,
    scanned_mentions,
    unscanned,
)
from patchcheck.source.tree import GitRevisionTree, OverlayTree, SourceTree

# Every architecture directory Linux has had; only those with an arch/NAME/Kconfig in the tree count.
KNOWN_ARCHES = (
    "alpha",
    "arc",
    "arm",
    "arm64",
    "avr32",
    "blackfin",
    "c6x",
    "cris",
    "csky",
    "frv",
    "h8300",
    "hexagon",
    "ia64",
    "loongarch",
    "m32r",
    "m68k",
    "metag",
    "microblaze",
    "mips",
    "mn10300",
    "nds32",
    "nios2",
    "openrisc",
    "parisc",
    "powerpc",
    "riscv",
    "s390",
    "score",
    "sh",
    "sparc",
    "tile",
    "um",
    "unicore32",
    "x86",
    "xtensa",
)
_ARCH_VARS = ("SRCARCH", "ARCH")
_OTHER_ARCH_VARS = ("HEADER_ARCH", "SUBARCH")


# A `source` line expands to at most this many paths ($(SRCARCH) once gives one per architecture); a line
# nesting the variables further is not expanded, and what depends on the files it names is not decided.
MAX_EXPANSIONS = 256


def _expand(pattern: str, arches: tuple[str, ...]) -> list[tuple[str, str | None]] | None:
    """Expand $(SRCARCH)-like variables: (path, the architecture it implies or None); None when the pattern
    would expand to more than MAX_EXPANSIONS paths."""
    found = re.findall(r"\$\((\w+)\)", pattern)
    if any(name not in _ARCH_VARS + _OTHER_ARCH_VARS for name in found):
        return []
    if len(arches) ** len(found) > MAX_EXPANSIONS:
        return None
    return _expand_all(pattern, arches)


def _expand_all(pattern: str, arches: tuple[str, ...]) -> list[tuple[str, str | None]]:
    var = re.search(r"\$\((\w+)\)", pattern)
    if var is None:
        return [(pattern, None)]
    name = var.group(1)
    out: list[tuple[str, str | None]] = []
    for arch in arches:
        for path, inner in _expand_all(pattern[: var.start()] + arch + pattern[var.end() :], arches):
            out.append((path, arch if name in _ARCH_VARS else inner))
    return out


def _inside_tree(path: str) -> str | None:
    """`path` normalised, or None when a `source` line names something outside the tree (absolute, `..`):
    Linux never does, and a hostile tree must not stop the audit nor make it read outside."""
    normal = posixpath.normpath(path)
    if not normal or "\0" in normal or normal.startswith(("/", "../")) or normal in (".", ".."):
        return None
    return normal


def _discover(tree: SourceTree, cache: DiskCache) -> tuple[KconfigDB, list[tuple[str, str | None]]]:
    arches = tuple(a for a in KNOWN_ARCHES if tree.read_bytes(f"arch/{a}/Kconfig") is not None)
    db = KconfigDB(arches)
    # Each file in reading order: scanned, or (`kept`) its bytes until a question reaches a name it mentions
    # (patchcheck.source.kconfig_lazy).
    files: dict[str, KconfigFile | None] = {}
    kept: dict[str, bytes] = {}
    mentioned: dict[str, set[str]] = {}  # of each file kept: the names it mentions
    sourcing: dict[str, list[SourceSite]] = {}  # and its `source` lines
    queue: deque[tuple[str, str | None, tuple[str, ...], str | None]] = deque()
    if tree.read_bytes("Kconfig") is not None:
        queue.append(("Kconfig", None, (), None))
    else:  # a partial tree: take what is there, each arch file under its architecture
        for path in sorted(tree.list_files()):
            if posixpath.basename(path).startswith("Kconfig"):
                parts = path.split("/")
                arch = parts[1] if parts[0] == "arch" and len(parts) > 2 and parts[1] in arches else None
                queue.append((path, None, (), arch))
    missing: set[str] = set()
    prefetch = getattr(tree, "prefetch", None)
    if callable(prefetch):  # a git revision: every Kconfig file in one round trip to git
        prefetch(p for p in tree.list_files() if posixpath.basename(p).startswith("Kconfig"))
    with progress("reading Kconfig files") as shown:
        while queue:
            shown.advance(0, detail=f"{len(files)} files")
            path, parent, conds, arch = queue.popleft()
            if path in missing:
                continue
            if path not in files:
                data = tree.read_bytes(path)
                if data is None:
                    missing.add(path)
                    continue
                later = unscanned(path, data)
                files[path] = scan(path, data) if later is None else None
                if later is not None:
                    kept[path], mentioned[path], sourcing[path] = data, later.names, later.sources
            db.sourced_from.setdefault(path, []).append((parent, conds, arch))
            if len(db.sourced_from[path]) > 1:
                continue
            scanned = files[path]
            for site in scanned.sources if scanned is not None else sourcing[path]:
                pattern = site.pattern
                if site.relative:
                    pattern = posixpath.join(posixpath.dirname(path), pattern)
                expanded = _expand(pattern, arches)
                if expanded is None:
                    named = site.pattern if len(site.pattern) <= 60 else site.pattern[:57] + "..."
                    db.unexpanded.append(f'{path}:{site.line}: source "{named}"')
                    continue
                for target, target_arch in expanded:
                    inside = _inside_tree(target)
                    if inside is not None:
                        queue.append((inside, path, site.conds, target_arch))
    names_of = [
        list(scanned_mentions(scanned) if scanned is not None else mentioned[path])
        for path, scanned in files.items()
    ]
    lazy = KconfigFiles(list(files), names_of, kept.get)
    lazy.scans.update((path, scanned) for path, scanned in files.items() if scanned is not None)
    db.lazy = LazyEntries(lazy, pack)
    db.packed_definitions, db.packed_selectors, db.choices = (
        db.lazy.definitions,
        db.lazy.selectors,
        db.lazy.choices,
    )
    stamps = [(p, file_stamp(tree, p)) for p in sorted(files)]
    # A file a `source` line names but the tree lacks is part of the key too: when it appears, the database
    # is built again (and what it defines is found).
    stamps += [(p, None) for p in sorted(missing)]
    stamps += [(f"arch/{a}/Kconfig", file_stamp(tree, f"arch/{a}/Kconfig")) for a in KNOWN_ARCHES]
    return db, stamps


def kconfig_view(tree: SourceTree) -> SourceTree:
    """The tree whose Kconfig files `tree` has: a patched tree that changes no Kconfig file shares its base's
    (and so its cache entries)."""
    while isinstance(tree, OverlayTree) and not any(
        posixpath.basename(p).startswith("Kconfig") for p in tree.changes
    ):
        tree = tree.base
    return tree


def _index_key(tree: SourceTree) -> str:
    """Where the list of a tree's Kconfig files and their stamps is kept: per directory, and for git
    revisions per repository (blob ids are the stamps, so another revision with the same Kconfig files finds
    the same database without reading one, and one that changes a few takes the database over)."""
    if isinstance(tree, GitRevisionTree):
        return digest("kconfig-index", f"{tree.root} (git)")
    return digest("kconfig-index", tree.label)


def cached_kconfig_key(tree: SourceTree, cache: DiskCache) -> str | None:
    """The key of the cached database of `tree` if none of its Kconfig files changed since (stat only)."""
    tree = kconfig_view(tree)
    index = cache.get("kconfig-index", _index_key(tree))
    if _good_index(index):
        stamps, db_key = index
        if all(known_stamp(tree, p) == s for p, s in stamps):
            return str(db_key)
    return None


def _good_index(index: object) -> bool:
    """A cached index is (stamps, key), stamps a list of (path, stamp or None): anything else is a miss."""
    if not (isinstance(index, tuple) and len(index) == 2 and isinstance(index[1], str)):
        return False
    stamps = index[0]
    return isinstance(stamps, list) and all(
        isinstance(e, tuple) and len(e) == 2 and isinstance(e[0], str) and isinstance(e[1], str | None)
        for e in stamps
    )


def load_kconfig_keyed(tree: SourceTree, cache: DiskCache | None = None) -> tuple[str, KconfigDB]:
    """(key, database) of `tree`; unchanged trees are served from the cache without reading files, and a
    patched tree's database is its base's with the changed Kconfig files rescanned (`_derive`)."""
    cache = cache or DiskCache()
    tree = kconfig_view(tree)
    db_key = cached_kconfig_key(tree, cache)
    known = _loaded.get(id(tree))
    if known is not None and known[0] is tree and known[1] == db_key:
        return known[1], known[2]
    db = fetch_db(cache, db_key, tree.read_bytes) if db_key is not None else None
    if db_key is None or not isinstance(db, KconfigDB):
        derived = (
            _derive(tree, cache)
            if isinstance(tree, OverlayTree)
            else _derive_revision(tree, cache)
            if isinstance(tree, GitRevisionTree)
            else None
        )
        db, stamps = derived if derived is not None else _discover(tree, cache)
        db_key = digest("kconfig-db", repr(stamps))
        save_later(partial(_store, cache, db_key, db))  # this process keeps it in memory (`_loaded`)
        cache.put("kconfig-index", _index_key(tree), (stamps, db_key))
    if db.lazy is not None and db.lazy.full is None:  # the entries this run builds are saved for the next
        save_at_end(partial(_save_if_changed, cache, db_key, db, db.lazy.built()))
    _loaded[id(tree)] = (tree, db_key, db)  # the tree is kept alive, so its id is not reused
    return db_key, db


def _save_if_changed(cache: DiskCache, key: str, db: KconfigDB, built: int) -> None:
    """Save a lazily built database again if it built entries since it was loaded, or every entry."""
    lazy = db.lazy
    if lazy is not None and (lazy.full is not None or lazy.built() > built) and cache.exists():
        _store(cache, key, db)


# What this process saved under each key: (the database's id, whole, entries built). Several paths ask to
# save a database (built, completed, grown): each state of it is written once.
_stored: dict[tuple[str, str], tuple[int, bool, int]] = {}


def _store(cache: DiskCache, key: str, db: KconfigDB) -> None:
    lazy = db.lazy
    state = (id(db), lazy is None or lazy.full is not None, lazy.built() if lazy is not None else 0)
    slot = (str(cache.root), key)
    if _stored.get(slot) != state:
        store_db(cache, key, db)
        _stored[slot] = state


# Databases this process has loaded, by tree (still checked by stat): the states of a series share their
# base's.
_loaded: dict[int, tuple[SourceTree, str, KconfigDB]] = {}


def _in_memory(key: str) -> KconfigDB | None:
    """The database of this key if this process has loaded or built it (which it may not have saved yet)."""
    return next((db for _, k, db in _loaded.values() if k == key), None)


def _is_kconfig(path: str) -> bool:
    return posixpath.basename(path).startswith("Kconfig")


def _sourcing(scanned: KconfigFile) -> list[tuple[str, tuple[str, ...], bool]]:
    return [(s.pattern, s.conds, s.relative) for s in scanned.sources]


Stamps = list[tuple[str, str | None]]
_MAX_DERIVED = 64  # more changed Kconfig files than this: scan the whole tree


def _derive(view: OverlayTree, cache: DiskCache) -> tuple[KconfigDB, Stamps] | None:
    """The database of a patched tree from its base's: only the Kconfig files the patches change are
    scanned (before and after), and only the symbols they define or select are rebuilt. None when the change
    reaches further (a `source` line, a Kconfig file added or removed, an architecture): then the whole tree
    is scanned again."""
    base_key, base_db = load_kconfig_keyed(view.base, cache)
    index = cache.get("kconfig-index", _index_key(kconfig_view(view.base)))
    if not (_good_index(index) and index[1] == base_key):
        return None
    changed = sorted(p for p in view.changes if _is_kconfig(p))
    contents = {path: (view.base.read_bytes(path), view.changes[path]) for path in changed}
    stamps = [(p, file_stamp(view, p) if p in view.changes else s) for p, s in index[0]]
    with _saved_once_complete(base_db, base_key, cache):
        return _rebuild_or_none(base_db, contents, stamps)


def _derive_revision(tree: GitRevisionTree, cache: DiskCache) -> tuple[KconfigDB, Stamps] | None:
    """A git revision's database from the one last built for another revision of the same repository,
    when they differ in a few Kconfig files (the parent of each patch of a series, as the hooks check them):
    both versions of those files are read by their blob ids, the rest is taken over."""
    index = cache.get("kconfig-index", _index_key(tree))
    if not _good_index(index):
        return None
    before = dict(index[0])

    def read_before(path: str) -> bytes | None:  # the other revision's file, by its blob id
        stamp = before.get(path)
        return tree.read_object(stamp[1:]) if stamp and stamp.startswith("g") else None

    base_db = _in_memory(index[1]) or fetch_db(cache, index[1], read_before)
    if not isinstance(base_db, KconfigDB):
        return None
    stamps: Stamps = [(p, file_stamp(tree, p)) for p, _ in index[0]]
    changed = [(p, old) for (p, old), (_, new) in zip(index[0], stamps, strict=True) if old != new]
    if not changed or len(changed) > _MAX_DERIVED:
        return None
    contents = {
        path: (tree.read_object(old[1:]) if old and old.startswith("g") else None, tree.read_bytes(path))
        for path, old in changed
    }
    with _saved_once_complete(base_db, index[1], cache):
        return _rebuild_or_none(base_db, contents, stamps)


@contextmanager
def _saved_once_complete(db: KconfigDB, key: str, cache: DiskCache) -> Iterator[None]:
    """A lazily built database that a derivation completes (`_rebuild`) is saved whole under its key, so
    that the next derivation starts from there."""
    lazy = db.lazy is not None and db.lazy.full is None
    yield
    if lazy and db.lazy is not None and db.lazy.full is not None:
        save_later(partial(_store, cache, key, db))


def _rebuild_or_none(
    base_db: KconfigDB, contents: dict[str, tuple[bytes | None, bytes | None]], stamps: Stamps
) -> tuple[KconfigDB, Stamps] | None:
    """`_rebuild`, or None (a whole scan instead) when the base's entries are damaged (a cache file)."""
    try:
        return _rebuild(base_db, contents, stamps)
    except (TypeError, ValueError, IndexError):
        return None


def _rebuild(
    base_db: KconfigDB, contents: dict[str, tuple[bytes | None, bytes | None]], stamps: Stamps
) -> tuple[KconfigDB, Stamps] | None:
    """`base_db` with the Kconfig files in `contents` (path -> content before, after) scanned again; None
    when that changes which files are read (see `_derive`)."""
    changed = sorted(contents)
    old_scans: dict[str, KconfigFile] = {}
    new_scans: dict[str, KconfigFile] = {}
    for path in changed:
        old, new = contents[path]
        if path not in base_db.sourced_from:
            if old is not None or new is None:
                continue  # a file no `source` line reaches (and no changed one: see below)
            return None  # a new file may be what an unchanged `source` line was missing
        if old is None or new is None:
            return None
        old_scans[path], new_scans[path] = scan(path, old), scan(path, new)
        if _sourcing(old_scans[path]) != _sourcing(new_scans[path]):
            return None
    base_db.complete()  # a lazily built base: every entry (once)
    definitions = dict(base_db.packed_definitions)
    selectors = dict(base_db.packed_selectors)
    db = KconfigDB(base_db.arches, base_db.sourced_from, definitions, selectors, dict(base_db.choices))
    db.unexpanded = list(base_db.unexpanded)  # the same `source` lines: the same ones left unexpanded
    names = {d.name for scans in (old_scans, new_scans) for f in scans.values() for d in f.definitions}
    new_by_path = {path: [d for d in f.definitions] for path, f in new_scans.items()}
    old_lists: dict[str, list[tuple[Any, ...]]] = {}
    new_lists: dict[str, list[tuple[Any, ...]]] = {}
    for name in sorted(names):
        packed = base_db.packed_definitions.get(name)
        before: list[tuple[Any, ...]] = rows(packed, 9) if packed is not None else []
        after: list[tuple[Any, ...]] = []
        placed: set[str] = set()
        for d in before:
            path = str(d[1])
            if path not in new_scans:
                after.append(d)
            elif path not in placed:  # the file's new definitions where its old ones were
                placed.add(path)
                after.extend(tuple(n) for n in new_by_path[path] if n.name == name)
        for path in changed:
            if path in new_scans and path not in placed:
                after.extend(tuple(n) for n in new_by_path[path] if n.name == name)
        old_lists[name], new_lists[name] = before, after
        if after:
            definitions[name] = pack(after)
        else:
            definitions.pop(name, None)
    # Selector entries point at a definition by index: every entry of a rebuilt symbol is redone.
    targets = {
        str(target)
        for lists in (old_lists, new_lists)
        for defs in lists.values()
        for d in defs
        for target, _ in d[7]
    }
    for target in sorted(targets):
        packed = base_db.packed_selectors.get(target)
        unpacked = rows(packed, 3) if packed is not None else []
        entries = [e for e in unpacked if e[0] not in names]
        for name in sorted(names):
            for i, d in enumerate(new_lists[name]):
                entries.extend((name, i, cond) for sel, cond in d[7] if sel == target)
        if entries:
            selectors[target] = pack(entries)
        else:
            selectors.pop(target, None)
    db.choices = {k: v for k, v in db.choices.items() if k[0] not in new_scans}
    for f in new_scans.values():
        for d in f.definitions:
            if d.choice:
                db.choices.setdefault((d.path, d.choice), []).append(d.name)
    return db, stamps


def load_kconfig(tree: SourceTree, cache: DiskCache | None = None, *, key: str | None = None) -> KconfigDB:
    """The database of `tree`; `key`: what `cached_kconfig_key` just returned (its stat check is not
    repeated)."""
    if key is not None and cache is not None:
        db = _in_memory(key) or fetch_db(cache, key, kconfig_view(tree).read_bytes)  # read once per process
        if isinstance(db, KconfigDB):
            _loaded[id(tree)] = (tree, key, db)
            return db
    return load_kconfig_keyed(tree, cache)[1]


__all__ = [
    "KNOWN_ARCHES",
    "KconfigDB",
    "cached_kconfig_key",
    "kconfig_view",
    "load_kconfig",
    "load_kconfig_keyed",
]
