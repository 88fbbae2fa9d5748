"""`load_flag_model(tree)`: the flag definitions and their registries, cached by file content."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from patchcheck.model.core import core_macros
from patchcheck.model.flags import FlagDef, FlagValue, read_flags
from patchcheck.model.registries import (
    DocTable,
    SmapsEntry,
    TraceEntry,
    read_doc_table,
    read_smaps,
    read_trace,
)
from patchcheck.source.cache import DiskCache, digest
from patchcheck.source.guards import Atom, Formula, Opaque, substitute
from patchcheck.source.preproc import preprocess
from patchcheck.source.tree import SourceTree, decode_source

MM_H = "include/linux/mm.h"
TASK_MMU = "fs/proc/task_mmu.c"
MMFLAGS = "include/trace/events/mmflags.h"
PROC_RST = "Documentation/filesystems/proc.rst"
MODEL_VERSION = "flags-7"


@dataclass
class FlagModel:
    """Everything patchcheck knows about VM_* flags in a tree; a registry is None when its file is absent."""

    flags: dict[str, FlagDef]
    smaps: list[SmapsEntry] | None
    trace: list[TraceEntry] | None
    doc: DocTable | None
    paths: dict[str, str] = field(
        default_factory=lambda: {"definitions": MM_H, "smaps": TASK_MMU, "trace": MMFLAGS, "doc": PROC_RST}
    )

    def real_flags(self) -> list[FlagDef]:
        """Flags in their own right (not masks, constants or VM_HIGH_ARCH_n slots), in definition order."""
        return [f for f in self.flags.values() if f.kind == "flag"]

    def nonzero(self, name: str) -> Formula | None:
        """Where macro `name` is a nonzero flag value; None if it is not a flag we know."""
        flag = self.flags.get(name)
        return None if flag is None else flag.guard_where("bit", "mask")

    def resolve(self, guard: Formula) -> Formula:
        """Replace preprocessor tests of VM_* values (`#if VM_PKEY_BIT3`) and `defined(VM_X)` by Kconfig
        conditions read from the definitions; other opaque atoms stay opaque."""

        def mapping(atom: Atom) -> Formula | None:
            if not isinstance(atom, Opaque):
                return None
            text = atom.text
            if text.startswith("defined(") and text.endswith(")"):
                flag = self.flags.get(text[8:-1])
                return flag.defined_guard if flag else None
            return self.nonzero(text) if text in self.flags else None

        return substitute(guard, mapping)

    def slot_cases(self, flag: str) -> list[tuple[Formula, int | None, FlagValue]]:
        """The smaps table slot `[ilog2(flag)]` writes, per definition variant: the bit; 0 where the flag is
        VM_NONE or 0 (ilog2 of a constant 0 is 0, so such an entry overwrites "rd"); None where it is not a
        single bit (a mask, undefined: a build error, or unknown)."""
        definition = self.flags.get(flag)
        if definition is None:
            return []
        out: list[tuple[Formula, int | None, FlagValue]] = []
        for v in definition.variants:
            slot = v.value.bit if v.value.kind == "bit" else 0 if v.value.kind in ("none", "zero") else None
            out.append((v.guard, slot, v.value))
        return out

    def smaps_for(self, flag: str) -> list[SmapsEntry]:
        return [e for e in self.smaps or [] if e.flag == flag]

    def trace_for(self, flag: str) -> list[TraceEntry]:
        return [e for e in self.trace or [] if e.flag == flag]

    def documented(self, code: str) -> bool:
        return self.doc is not None and any(c.code == code for c in self.doc.codes)


def _cached(
    tree: SourceTree,
    path: str,
    cache: DiskCache,
    build: Callable[[str], Any],
    label: str | None = None,
    shape: Any = Any,
) -> tuple[bool, Any]:
    """(file exists, product) with the product cached by the file's content."""
    data = tree.read_bytes(path)
    if data is None:
        return False, None
    key = digest(MODEL_VERSION, label or path, data)
    if cache.root is not None and key in _PRODUCTS:
        return True, _PRODUCTS[key]
    hit = cache.get("model", key, tuple[shape])
    if isinstance(hit, tuple) and len(hit) == 1:
        product = hit[0]
    else:
        product = build(decode_source(data))
        cache.put("model", key, (product,))
    if cache.root is not None:  # a cache turned off keeps nothing, here either
        if len(_PRODUCTS) >= 64:
            _PRODUCTS.clear()
        _PRODUCTS[key] = product
    return True, product


# The products this process built or read, by content: the reference search reads mm.h's flags before the
# registry does (patchcheck.rules.registry.uses). Shared, so never changed by their users.
_PRODUCTS: dict[str, Any] = {}


def load_flag_defs(
    tree: SourceTree, cache: DiskCache | None = None, *, core: bool = False
) -> dict[str, FlagDef]:
    """The flags of the tree's mm.h alone (the model's `flags`, from the same cache entry). With `core`,
    names mm.h does not define resolve through the built-in core flag facts (for the partial mm.h diffs
    show without a tree)."""
    cache = cache or DiskCache()
    defs = MM_H + (" core-3" if core else "")

    def build(text: str) -> dict[str, FlagDef]:
        pre = preprocess(text)
        return read_flags(MM_H, pre, core_macros(pre) if core else None)

    _, flags = _cached(tree, MM_H, cache, build, defs, dict[str, FlagDef])
    return flags or {}


def load_flag_model(tree: SourceTree, cache: DiskCache | None = None, *, core: bool = False) -> FlagModel:
    """With `core`: see `load_flag_defs`."""
    cache = cache or DiskCache()
    flags = load_flag_defs(tree, cache, core=core)
    return FlagModel(flags, *load_model_tables(tree, cache))


def load_model_tables(
    tree: SourceTree, cache: DiskCache | None = None
) -> tuple[list[SmapsEntry] | None, list[TraceEntry] | None, DocTable | None]:
    """The model's tables: smaps mnemonics, trace names and the proc.rst documentation (None: no file)."""
    cache = cache or DiskCache()
    _, smaps = _cached(
        tree, TASK_MMU, cache, lambda text: read_smaps(preprocess(text)), shape=list[SmapsEntry] | None
    )
    _, trace = _cached(
        tree, MMFLAGS, cache, lambda text: read_trace(preprocess(text)), shape=list[TraceEntry] | None
    )
    _, doc = _cached(tree, PROC_RST, cache, read_doc_table, shape=DocTable | None)
    return smaps, trace, doc
