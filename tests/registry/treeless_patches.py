"""Small hand-written series for the tree-less decisions of PC102, PC103, PC104, PC107, PC108, PC204, PC502.

Each hunk shows a line that is unconditional in every release (a core flag's definition, enumerator or
smaps entry) next to what it adds, so the hunks decide the guards of the added lines. Style A defines flags
by value (`BIT(n)`, `VM_HIGH_ARCH_n`, `VM_ARCH_1`), style B by bit number (`DECLARE_VMA_BIT` enumerators and
`INIT_VM_FLAG` masks).
"""

from __future__ import annotations

MM_H = "include/linux/mm.h"
TASK_MMU = "fs/proc/task_mmu.c"


def hunk(path: str, start: int, lines: list[str], new_start: int | None = None) -> str:
    """One file, one hunk: `lines` start with ' ' (context) or '+' (added)."""
    old = sum(1 for line in lines if not line.startswith("+"))
    new = sum(1 for line in lines if not line.startswith("-"))
    head = f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"
    return head + f"@@ -{start},{old} +{new_start or start},{new} @@\n" + "\n".join(lines) + "\n"


def mail(*hunks: str) -> str:
    return (
        "From: patchcheck tests <tests@example.invalid>\nSubject: [PATCH] treeless\n\n"
        "A scenario for verify without a tree.\n---\n" + "".join(hunks)
    )


def plus(text: str) -> list[str]:
    """Added lines, written without their '+'."""
    return ["+" + line for line in text.strip("\n").split("\n")]


def defines_a(text: str) -> str:
    """Style A: `text` (lines of #defines and conditionals) added between two core flag definitions."""
    return hunk(MM_H, 17, [" #define VM_LOCKED\t0x00002000", *plus(text), " #define VM_DONTDUMP\t0x04000000"])


def defines_b(enum: str, masks: str) -> str:
    """Style B: enumerators added between two core enumerators, masks between two core masks."""
    enum_hunk = hunk(
        MM_H, 21, [" \tDECLARE_VMA_BIT(LOCKED, 13),", *plus(enum), " \tDECLARE_VMA_BIT(DONTDUMP, 26),"]
    )
    mask_hunk = hunk(
        MM_H,
        121,
        [
            " #define VM_LOCKED\tINIT_VM_FLAG(LOCKED)",
            *plus(masks),
            " #define VM_DONTDUMP\tINIT_VM_FLAG(DONTDUMP)",
        ],
        new_start=121 + len(plus(enum)),
    )
    return enum_hunk + mask_hunk.split("+++ b/include/linux/mm.h\n", 1)[1]


def entries(text: str) -> str:
    """smaps entries added between two core entries of show_smap_vma_flags()."""
    return hunk(
        TASK_MMU,
        16,
        [' \t\t[ilog2(VM_LOCKED)]\t= "lo",', *plus(text), ' \t\t[ilog2(VM_DONTDUMP)]\t= "dd",'],
    )


def kconfig(path: str, text: str) -> str:
    """A Kconfig hunk adding `text` after a blank line."""
    return hunk(path, 10, [" ", *plus(text), " "])
