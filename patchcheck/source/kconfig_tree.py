"""All Kconfig files of a tree, read by following `source` from the top-level Kconfig, cached on disk.

The warm path only stats the files it read last time (see `file_stamp`), so an unchanged tree costs no parse
and no read of its ~1800 Kconfig files.
"""

from __future__ import annotations

import pickle
import posixpath
import re
from collections import defaultdict, deque
from dataclasses import dataclass, field

from patchcheck.source.cache import DiskCache, digest, file_stamp
from patchcheck.source.kconfig import Definition, KconfigFile, scan_kconfig
from patchcheck.source.tree import OverlayTree, SourceTree

# Every architecture directory Linux has had; only those with an arch/NAME/Kconfig in the tree count.
KNOWN_ARCHES = (
    "alpha", "arc", "arm", "arm64", "avr32", "blackfin", "c6x", "cris", "csky", "frv", "h8300", "hexagon",
    "ia64", "loongarch", "m32r", "m68k", "metag", "microblaze", "mips", "mn10300", "nds32", "nios2",
    "openrisc", "parisc", "powerpc", "riscv", "s390", "score", "sh", "sparc", "tile", "um", "unicore32",
    "x86", "xtensa",
)
_ARCH_VARS = ("SRCARCH", "ARCH")
_OTHER_ARCH_VARS = ("HEADER_ARCH", "SUBARCH")


SourcedAt = tuple[str | None, tuple[str, ...], str | None]


@dataclass
class KconfigDB:
    """Every definition of every symbol, who selects it, and under which condition each file is read.

    Definitions are kept pickled per symbol, so loading the database from the cache costs a dict of bytes
    and only the symbols a question reaches are ever unpacked.
    """

    arches: tuple[str, ...]
    # file -> sites that source it: (sourcing file or None for the root, conditions there, architecture)
    sourced_from: dict[str, list[SourcedAt]] = field(default_factory=dict)
    packed_definitions: dict[str, bytes] = field(default_factory=dict)
    packed_selectors: dict[str, bytes] = field(default_factory=dict)
    choices: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    # `source` lines not followed: they expand to more than MAX_EXPANSIONS paths
    unexpanded: list[str] = field(default_factory=list)

    def exists(self, name: str) -> bool:
        return name in self.packed_definitions

    def symbols(self) -> list[str]:
        return list(self.packed_definitions)

    def definitions_of(self, name: str) -> list[Definition]:
        """Every `config NAME` block (path, line, type, prompt, depends, defaults, selects)."""
        packed = self.packed_definitions.get(name)
        return [] if packed is None else [Definition(*d) for d in pickle.loads(packed)]

    def selectors_of(self, name: str) -> list[tuple[Definition, str]]:
        """(definition that selects NAME, its `if` condition or "")."""
        packed = self.packed_selectors.get(name)
        if packed is None:
            return []
        return [(self.definitions_of(by)[index], cond) for by, index, cond in pickle.loads(packed)]

    def choice_members(self, definition: Definition) -> list[str]:
        if not definition.choice:
            return []
        members = self.choices.get((definition.path, definition.choice), [])
        return [name for name in members if name != definition.name]


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
        for path, inner in _expand_all(pattern[: var.start()] + arch + pattern[var.end():], arches):
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
    files: dict[str, KconfigFile] = {}
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
    while queue:
        path, parent, conds, arch = queue.popleft()
        if path in missing:
            continue
        if path not in files:
            data = tree.read_bytes(path)
            if data is None:
                missing.add(path)
                continue
            files[path] = scan_kconfig(path, data.decode("utf-8", "surrogateescape"))
        db.sourced_from.setdefault(path, []).append((parent, conds, arch))
        if len(db.sourced_from[path]) > 1:
            continue
        scanned = files[path]
        for site in scanned.sources:
            pattern = posixpath.join(posixpath.dirname(path), site.pattern) if site.relative else site.pattern
            expanded = _expand(pattern, arches)
            if expanded is None:
                shown = site.pattern if len(site.pattern) <= 60 else site.pattern[:57] + "..."
                db.unexpanded.append(f"{path}:{site.line}: source \"{shown}\"")
                continue
            for target, target_arch in expanded:
                inside = _inside_tree(target)
                if inside is not None:
                    queue.append((inside, path, site.conds, target_arch))
    definitions: dict[str, list[tuple[object, ...]]] = defaultdict(list)
    # target -> (selecting symbol, which of its definitions, `if` condition): definitions are stored once
    selected_by: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
    choices: dict[tuple[str, int], list[str]] = defaultdict(list)
    for scanned in files.values():
        for d in scanned.definitions:
            definitions[d.name].append(tuple(d))
            if d.choice:
                choices[(d.path, d.choice)].append(d.name)
            for target, cond in d.selects:
                selected_by[target].append((d.name, len(definitions[d.name]) - 1, cond))
    db.packed_definitions = {name: pickle.dumps(defs) for name, defs in definitions.items()}
    db.packed_selectors = {name: pickle.dumps(sel) for name, sel in selected_by.items()}
    db.choices = dict(choices)
    stamps = [(p, file_stamp(tree, p)) for p in sorted(files)]
    stamps += [(f"arch/{a}/Kconfig", file_stamp(tree, f"arch/{a}/Kconfig")) for a in KNOWN_ARCHES]
    return db, stamps


def kconfig_view(tree: SourceTree) -> SourceTree:
    """The tree whose Kconfig files `tree` has: a patched tree that changes no Kconfig file shares its base's
    (and so its cache entries)."""
    while isinstance(tree, OverlayTree) and not any(
            posixpath.basename(p).startswith("Kconfig") for p in tree.changes):
        tree = tree.base
    return tree


def cached_kconfig_key(tree: SourceTree, cache: DiskCache) -> str | None:
    """The key of the cached database of `tree` if none of its Kconfig files changed since (stat only)."""
    tree = kconfig_view(tree)
    index = cache.get("kconfig-index", digest("kconfig-index", tree.label))
    if isinstance(index, tuple) and len(index) == 2:
        stamps, db_key = index
        if all(file_stamp(tree, p) == s for p, s in stamps):
            return str(db_key)
    return None


def load_kconfig_keyed(tree: SourceTree, cache: DiskCache | None = None) -> tuple[str, KconfigDB]:
    """(key, database) of `tree`; unchanged trees are served from the cache without reading files."""
    cache = cache or DiskCache()
    tree = kconfig_view(tree)
    db_key = cached_kconfig_key(tree, cache)
    if db_key is not None:
        db = cache.get("kconfig-db", db_key)
        if isinstance(db, KconfigDB):
            return db_key, db
    db, stamps = _discover(tree, cache)
    db_key = digest("kconfig-db", repr(stamps))
    cache.put("kconfig-db", db_key, db)
    cache.put("kconfig-index", digest("kconfig-index", tree.label), (stamps, db_key))
    return db_key, db


def load_kconfig(tree: SourceTree, cache: DiskCache | None = None, *, key: str | None = None) -> KconfigDB:
    """The database of `tree`; `key`: what `cached_kconfig_key` just returned (its stat check is not
    repeated)."""
    if key is not None and cache is not None:
        db = cache.get("kconfig-db", key)
        if isinstance(db, KconfigDB):
            return db
    return load_kconfig_keyed(tree, cache)[1]
