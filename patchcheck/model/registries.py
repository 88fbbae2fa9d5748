"""The registries a VM_* flag must appear in, read from their files.

- smaps mnemonics: the `mnemonics[]` initializer of show_smap_vma_flags() in fs/proc/task_mmu.c;
- trace names: the `__def_vmaflag_names` macro of include/trace/events/mmflags.h, its IF_HAVE_*()
  wrappers and __VM_ARCH_SPECIFIC_1 expanded per definition variant;
- documented codes: the VmFlags table of Documentation/filesystems/proc.rst.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from patchcheck.source.cparse import expand_variants, find_function, node_text, parse, string_value, walk
from patchcheck.source.guards import TRUE, And, Formula, conj
from patchcheck.source.preproc import PreprocFile

SMAPS_FUNCTION = "show_smap_vma_flags"
TRACE_MACRO = "__def_vmaflag_names"
ARCH_SPECIFIC = "__VM_ARCH_SPECIFIC_1"


@dataclass(frozen=True)
class SmapsEntry:
    flag: str  # the VM_* named in the designator, e.g. "VM_READ" for [ilog2(VM_READ)]
    mnemonic: str
    guard: Formula  # as written: the enclosing #if conditions (may test VM_* values, see R8)
    line: int
    index: str  # the designator text, e.g. "ilog2(VM_READ)"
    local_guard: Formula  # the #if conditions inside the function only (without e.g. PROC_PAGE_MONITOR)


@dataclass(frozen=True)
class TraceEntry:
    flag: str  # the flag expression as written, e.g. "VM_READ"
    name: str
    guard: Formula  # the #if around the macro, plus the guard of each wrapper definition used
    line: int
    wrapper: str | None  # IF_HAVE_* or __VM_ARCH_SPECIFIC_1 when the entry came through one
    arch_specific: bool
    wrapper_line: int | None = None  # the #define of the wrapper variant that produced it


@dataclass(frozen=True)
class DocCode:
    code: str
    description: str
    line: int


@dataclass(frozen=True)
class DocTable:
    codes: tuple[DocCode, ...]
    border_line: int  # first `==  ====` border (0 when no table was found)
    border_widths: tuple[int, ...]  # width of each column's border


_ILOG2 = re.compile(r"^ilog2\s*\(\s*(.+?)\s*\)$")
_BIT_INDEX = re.compile(r"^VMA?_(\w+?)_BIT$")


def read_smaps(pre: PreprocFile) -> list[SmapsEntry] | None:
    """Entries of show_smap_vma_flags()'s mnemonics[] table, or None when the function is absent."""
    if SMAPS_FUNCTION not in pre.masked:
        return None
    tree = parse(pre.masked)
    fn = find_function(tree, SMAPS_FUNCTION)
    if fn is None:
        return None
    entries: list[SmapsEntry] = []
    outer = pre.guard_at(fn.start_point.row + 1)
    for pair in walk(fn, "initializer_pair"):
        designators = [c for c in pair.children if c.type == "subscript_designator"]
        value = pair.child_by_field_name("value")
        if len(designators) != 1 or value is None:
            continue
        mnemonic = string_value(value)
        index = " ".join(node_text(designators[0]).strip()[1:-1].split())
        flag = _index_flag(index)
        if mnemonic is None or flag is None:
            continue
        line = pair.start_point.row + 1
        guard = pre.guard_at(line)
        entries.append(SmapsEntry(flag, mnemonic, guard, line, index, _relative(guard, outer)))
    return entries


def _relative(guard: Formula, outer: Formula) -> Formula:
    """`guard` without the conjuncts it shares with `outer`."""
    if guard == outer:
        return TRUE
    shared = set(outer.args) if isinstance(outer, And) else {outer}
    if isinstance(guard, And):
        return conj(*(g for g in guard.args if g not in shared))
    return guard


def _index_flag(index: str) -> str | None:
    m = _ILOG2.match(index)
    if m:
        return m.group(1)
    m = _BIT_INDEX.match(index)  # newer kernels index by bit number: [VMA_READ_BIT]
    return f"VM_{m.group(1)}" if m else None


def read_trace(pre: PreprocFile) -> list[TraceEntry] | None:
    """Entries of __def_vmaflag_names, or None when the macro is absent."""
    macros = pre.macros()
    bodies = [d for d in macros.get(TRACE_MACRO, []) if d.params is None]
    if not bodies:
        return None
    wrappers = {name for name in macros if name.startswith("IF_HAVE_") or name == ARCH_SPECIFIC}
    entries: list[TraceEntry] = []
    for body_def in bodies:
        for offset, chunk in enumerate(body_def.body.split("\n")):
            line = body_def.body_line + offset
            for expansion in expand_variants(chunk, macros, wrappers):
                wrapper = expansion.via[0] if expansion.via else None
                for flag, name in _pairs(expansion.text):
                    guard = conj(body_def.guard, expansion.guard)
                    entries.append(
                        TraceEntry(
                            flag,
                            name,
                            guard,
                            line,
                            wrapper,
                            wrapper == ARCH_SPECIFIC,
                            expansion.lines[0] if expansion.lines else None,
                        )
                    )
    return entries


def _pairs(text: str) -> list[tuple[str, str]]:
    """The `{FLAG, "name"}` pairs of a piece of initializer list, read with tree-sitter."""
    if "{" not in text:
        return []
    tree = parse("static const struct trace_print_flags __pc[] = {" + text.strip().rstrip(",") + "};")
    out: list[tuple[str, str]] = []
    for init in walk(tree.root_node, "initializer_list"):
        items = [c for c in init.named_children if c.type != "comment"]
        if len(items) == 2 and items[0].type != "initializer_list":
            name = string_value(items[1])
            if name is not None:
                out.append((" ".join(node_text(items[0]).split()), name))
    return out


_BORDER = re.compile(r"^(\s*)(=+)(\s+)(=+)\s*$")


def read_doc_table(text: str) -> DocTable | None:
    """The VmFlags code table of proc.rst: the simple table after the paragraph introducing VmFlags."""
    lines = text.split("\n")
    start = next(
        (i for i, line in enumerate(lines) if '"VmFlags" field' in line or "VmFlags field" in line), None
    )
    if start is None:
        return None
    border = next((i for i in range(start, min(start + 15, len(lines))) if _BORDER.match(lines[i])), None)
    if border is None:
        return DocTable((), 0, ())
    bm = _BORDER.match(lines[border])
    assert bm is not None
    widths = (len(bm.group(2)), len(bm.group(4)))
    codes: list[DocCode] = []
    for i in range(border + 1, len(lines)):
        if _BORDER.match(lines[i]):
            break
        m = re.match(r"^\s*(\S+)\s+(.*?)\s*$", lines[i])
        if m:
            codes.append(DocCode(m.group(1), m.group(2), i + 1))
    return DocTable(tuple(codes), border + 1, widths)
