"""A 5-patch series adding VM_SCRATCH (a droppable-like flag) to a real 6.12 tree, built at run time.

The series is described as edits (regular expressions over the real files), so no kernel text is stored in
the repository: the diffs are computed from the tree each time. Each semantic edit is a "site"; dropping
one must make verify name that site. Used by tests/packs and bench/bench_verify.py.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Edit:
    name: str
    patch: int  # 1..5
    path: str
    pattern: str  # must match exactly once
    replacement: str
    # What verify must name when this edit is left out (a rule id and a site), None for registry edits.
    rule: str | None = None
    names: str = ""


_OR_SCRATCH = r"\1(VM_DROPPABLE | VM_SCRATCH)"

EDITS: tuple[Edit, ...] = (
    Edit(
        "definition",
        1,
        "include/linux/mm.h",
        r"(#define VM_DROPPABLE\t\tVM_NONE\n#endif\n)",
        "\\1\n#ifdef CONFIG_64BIT\n#define VM_SCRATCH_BIT\t41\n#define VM_SCRATCH\t\tBIT(VM_SCRATCH_BIT)\n"
        "#else\n#define VM_SCRATCH\t\tVM_NONE\n#endif\n",
    ),
    Edit(
        "smaps",
        1,
        "fs/proc/task_mmu.c",
        r"(\t\t\[ilog2\(VM_DROPPABLE\)\] = \"dp\",\n#endif\n)",
        '\\1#ifdef CONFIG_64BIT\n\t\t[ilog2(VM_SCRATCH)] = "sc",\n#endif\n',
    ),
    Edit(
        "proc-doc",
        1,
        "Documentation/filesystems/proc.rst",
        r"(\n    sl    sealed\n)",
        "\\1    sc    scratch: may be dropped under pressure\n",
    ),
    Edit(
        "trace-guard",
        1,
        "include/trace/events/mmflags.h",
        r"(# define IF_HAVE_VM_DROPPABLE\(flag, name\)\n#endif\n)",
        "\\1\n#ifdef CONFIG_64BIT\n# define IF_HAVE_VM_SCRATCH(flag, name) {flag, name},\n#else\n"
        "# define IF_HAVE_VM_SCRATCH(flag, name)\n#endif\n",
    ),
    Edit(
        "trace-name",
        1,
        "include/trace/events/mmflags.h",
        r"(IF_HAVE_VM_DROPPABLE\(VM_DROPPABLE,\t\"droppable\"\t\)\t\t\\\n)",
        '\\1IF_HAVE_VM_SCRATCH(VM_SCRATCH,\t"scratch"\t)\t\t\\\\\n',
    ),
    Edit(
        "rmap-new-anon",
        5,
        "mm/rmap.c",
        r"(if \(!folio_test_swapbacked\(folio\) && !\(vma->vm_flags & )VM_DROPPABLE",
        _OR_SCRATCH,
        "PC601",
        "folio_add_new_anon_rmap",
    ),
    Edit(
        "rmap-dirty-discard",
        5,
        "mm/rmap.c",
        r"(\(vma->vm_flags & )VM_DROPPABLE(\)\)\) \{)",
        r"\1(VM_DROPPABLE | VM_SCRATCH)\2",
        "PC602",
        "try_to_unmap_one",
    ),
    Edit(
        "rmap-remap",
        5,
        "mm/rmap.c",
        r"(if \(!\(vma->vm_flags & )VM_DROPPABLE(\)\)\n\t+folio_set_swapbacked)",
        r"\1(VM_DROPPABLE | VM_SCRATCH)\2",
        "PC601",
        "try_to_unmap_one",
    ),
    Edit(
        "mprotect-accounting",
        3,
        "mm/mprotect.c",
        r"(VM_SHARED\|VM_NORESERVE)(\)\)\))",
        r"\1|VM_SCRATCH\2",
        "PC701",
        "mprotect_fixup",
    ),
    Edit(
        "fault-oom",
        4,
        "mm/memory.c",
        r"(is_droppable = !!\(vma->vm_flags & )VM_DROPPABLE",
        _OR_SCRATCH,
        "PC604",
        "handle_mm_fault",
    ),
    Edit(
        "alloc-nowarn",
        4,
        "mm/mempolicy.c",
        r"(if \(vma->vm_flags & )VM_DROPPABLE(\)\n\t\tgfp \|= __GFP_NOWARN;)",
        r"\1(VM_DROPPABLE | VM_SCRATCH)\2",
        "PC605",
        "vma_alloc_folio_noprof",
    ),
    Edit(
        "mlock-predicate",
        2,
        "mm/internal.h",
        r"(if \(vma->vm_flags & \(VM_SPECIAL \| VM_DROPPABLE)\)\)",
        r"\1 | VM_SCRATCH))",
        "PC701",
        "vma_supports_mlock",
    ),
    # A note per patch, outside every family member: leaving a site out never empties a patch.
    Edit(
        "note-mlock",
        2,
        "mm/internal.h",
        r"(\nstatic inline bool vma_supports_mlock\()",
        "\n/* VM_SCRATCH VMAs cannot be locked either. */\\1",
    ),
    Edit(
        "note-accounting",
        3,
        "mm/mprotect.c",
        r'(#include "internal.h"\n)',
        "\\1\n/* VM_SCRATCH mappings are never charged (see mprotect_fixup()). */\n",
    ),
    Edit(
        "note-oom",
        4,
        "mm/memory.c",
        r'(#include "internal.h"\n)',
        "\\1\n/* A VM_SCRATCH fault that runs out of memory is not fatal. */\n",
    ),
    Edit(
        "note-reclaim",
        5,
        "mm/rmap.c",
        r'(#include "internal.h"\n)',
        "\\1\n/* VM_SCRATCH folios are dropped, never swapped. */\n",
    ),
    Edit(
        "ksm",
        5,
        "mm/ksm.c",
        r"(VM_MIXEDMAP\| VM_DROPPABLE)\)\)",
        r"\1 | VM_SCRATCH))",
        "PC609",
        "vma_ksm_compatible",
    ),
    Edit(
        "userfaultfd",
        5,
        "include/linux/userfaultfd_k.h",
        r"(if \(vma->vm_flags & )VM_SHADOW_STACK\)",
        r"\1(VM_SHADOW_STACK | VM_SCRATCH))",
        "PC610",
        "vma_can_userfault",
    ),
)

# The same series, with VM_SCRATCH behind a Kconfig helper symbol of its own (as VM_DROPPABLE is behind
# CONFIG_NEED_VM_DROPPABLE in later kernels): patch 1 also changes mm/Kconfig. For the benchmark.
KCONFIG_EDITS: tuple[Edit, ...] = (
    Edit(
        "kconfig-helper",
        1,
        "mm/Kconfig",
        r"(\nconfig ARCH_USES_HIGH_VMA_FLAGS\n\tbool\n)",
        "\\1\nconfig NEED_VM_SCRATCH\n\tdef_bool 64BIT\n",
    ),
    *(
        Edit(
            e.name,
            e.patch,
            e.path,
            e.pattern,
            e.replacement.replace(
                "#ifdef CONFIG_64BIT\n#define VM_SCRATCH_BIT",
                "#ifdef CONFIG_NEED_VM_SCRATCH\n#define VM_SCRATCH_BIT",
            ),
            e.rule,
            e.names,
        )
        for e in EDITS
    ),
)

SUBJECTS = {
    1: "mm: add VM_SCRATCH for mappings whose contents may be dropped",
    2: "mm/mlock: VM_SCRATCH VMAs cannot be locked",
    3: "mm/mprotect: never charge VM_SCRATCH mappings",
    4: "mm: a VM_SCRATCH fault that runs out of memory is not fatal",
    5: "mm: drop VM_SCRATCH folios instead of swapping them",
}

# Each promise is made in the patch that keeps it, and a family is handled within one patch, so every
# intermediate tree is consistent (the series is bisectable).
MESSAGES = {
    1: "VM_SCRATCH marks anonymous memory whose contents the kernel may drop at any time. This patch\n"
    "defines it and names it in smaps, the trace names and proc.rst; nothing sets it yet.\n",
    2: "VM_SCRATCH memory doesn't count against the mlock budget, since nothing is locked: exclude it in\n"
    "vma_supports_mlock(), which both mlock sites use.\n",
    3: "A VM_SCRATCH mapping is never charged against the overcommit limit.\n",
    4: "If a VM_SCRATCH fault cannot be served for lack of memory, it is not fatal.\n",
    5: "VM_SCRATCH folios are never written out to swap: reclaim drops them, even when dirty, so they are\n"
    "zero when read back. Pages that may vanish must not be merged by KSM nor registered with\n"
    "userfaultfd.\n",
}


def _apply(text: str, edit: Edit) -> str:
    new, count = re.subn(edit.pattern, edit.replacement, text)
    if count != 1:
        raise AssertionError(f"edit {edit.name}: pattern matched {count} times in {edit.path}")
    return new


def build_series(
    tree: Path, *, leave_out: str | None = None, edits: tuple[Edit, ...] = EDITS
) -> tuple[str, dict[str, bytes]]:
    """(mbox text, final content of every changed file), leaving out the named edit."""
    current: dict[str, str] = {}
    mails: list[str] = []
    for number in range(1, 6):
        before = dict(current)
        for edit in edits:
            if edit.patch != number or edit.name == leave_out:
                continue
            text = current.get(edit.path)
            if text is None:
                text = (tree / edit.path).read_text(encoding="utf-8")
            current[edit.path] = _apply(text, edit)
        diff = []
        for path in sorted(current):
            old = before.get(path) or (tree / path).read_text(encoding="utf-8")
            if old == current[path]:
                continue
            diff.append(f"diff --git a/{path} b/{path}\n")
            diff.extend(
                difflib.unified_diff(
                    old.splitlines(keepends=True),
                    current[path].splitlines(keepends=True),
                    f"a/{path}",
                    f"b/{path}",
                    n=3,
                )
            )
        body = "".join(diff) or ""
        mails.append(
            f"From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
            f"From: Pat Checker <pat@example.org>\n"
            f"Date: Thu, 26 Nov 2026 12:0{number}:00 +0000\n"
            f"Subject: [PATCH {number}/5] {SUBJECTS[number]}\n"
            f"Message-ID: <scratch-{number}@example.org>\n\n"
            f"{MESSAGES[number]}\nSigned-off-by: Pat Checker <pat@example.org>\n---\n{body}--\n2.45.0\n\n"
        )
    return "".join(mails), {p: t.encode() for p, t in current.items()}
