"""A pack's rules apply to a flag only where the tree defines it (VM_DROPPABLE arrived in 6.11: on an
older tree every droppable family would otherwise report every member as missing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchcheck.report.finding import Finding
from patchcheck.rules.base import CheckContext
from patchcheck.rules.packs import load_packs
from patchcheck.source.tree import DirectoryTree, OverlayTree

TREE = Path(__file__).resolve().parents[2] / "fixtures" / "packs" / "tree"

# Two small mm.h files, one per declaration style, each with or without the pack's flags.
_STYLE_A = """#ifndef _LINUX_MM_H
#define _LINUX_MM_H
#define VM_NONE\t\t0x00000000
#define VM_READ\t\t0x00000001
#define VM_WRITE\t0x00000002
#define VM_SHARED\t0x00000008
#define VM_LOCKED\t0x00002000
#define VM_NORESERVE\t0x00200000
#define VM_WIPEONFORK\t0x02000000
#define VM_DONTDUMP\t0x04000000
{extra}
#endif
"""
_STYLE_A_DROPPABLE = """#ifdef CONFIG_64BIT
#define VM_DROPPABLE_BIT\t40
#define VM_DROPPABLE\t\tBIT(VM_DROPPABLE_BIT)
#else
#define VM_DROPPABLE\t\tVM_NONE
#endif
"""
_STYLE_B = """#ifndef _LINUX_MM_H
#define _LINUX_MM_H
#define DECLARE_VMA_BIT(name, bitnum) VMA_ ## name ## _BIT = ((__force vma_flag_t)bitnum)
enum {{
\tDECLARE_VMA_BIT(READ, 0),
\tDECLARE_VMA_BIT(WRITE, 1),
\tDECLARE_VMA_BIT(SHARED, 3),
\tDECLARE_VMA_BIT(LOCKED, 13),
\tDECLARE_VMA_BIT(NORESERVE, 21),
\tDECLARE_VMA_BIT(WIPEONFORK, 25),
\tDECLARE_VMA_BIT(DONTDUMP, 26),
{enum_extra}}};
#undef DECLARE_VMA_BIT
#define INIT_VM_FLAG(name) BIT((__force int) VMA_ ## name ## _BIT)
#define VM_NONE\t\t0
#define VM_READ\t\tINIT_VM_FLAG(READ)
#define VM_WRITE\tINIT_VM_FLAG(WRITE)
#define VM_SHARED\tINIT_VM_FLAG(SHARED)
#define VM_LOCKED\tINIT_VM_FLAG(LOCKED)
#define VM_NORESERVE\tINIT_VM_FLAG(NORESERVE)
#define VM_WIPEONFORK\tINIT_VM_FLAG(WIPEONFORK)
#define VM_DONTDUMP\tINIT_VM_FLAG(DONTDUMP)
{extra}
#endif
"""
_STYLE_B_ENUM = "#ifdef CONFIG_64BIT\n\tDECLARE_VMA_BIT(DROPPABLE, 40),\n#endif\n"
_STYLE_B_DROPPABLE = """#ifdef CONFIG_64BIT
#define VM_DROPPABLE\tINIT_VM_FLAG(DROPPABLE)
#else
#define VM_DROPPABLE\tVM_NONE
#endif
"""


def mm_h(style: str, droppable: bool) -> bytes:
    if style == "A":
        return _STYLE_A.format(extra=_STYLE_A_DROPPABLE if droppable else "").encode()
    return _STYLE_B.format(
        enum_extra=_STYLE_B_ENUM if droppable else "", extra=_STYLE_B_DROPPABLE if droppable else ""
    ).encode()


def _broken(mm: bytes) -> OverlayTree:
    """The pack fixture tree with KSM's mask missing VM_DROPPABLE (PC609 fires when the flag exists)."""
    ksm = (TREE / "mm" / "ksm.c").read_text().replace(" | VM_DROPPABLE))", "))")
    return OverlayTree(DirectoryTree(TREE), {"include/linux/mm.h": mm, "mm/ksm.c": ksm.encode()})


def run(tree: OverlayTree) -> list[Finding]:
    return list(load_packs()[0].run(CheckContext(tree=tree)))


@pytest.mark.parametrize("style", ["A", "B"])
def test_family_fires_where_the_tree_defines_the_flag(style: str) -> None:
    rules = {f.rule_id for f in run(_broken(mm_h(style, droppable=True)))}
    assert "PC609" in rules


@pytest.mark.parametrize("style", ["A", "B"])
def test_no_family_fires_for_a_flag_the_tree_does_not_define(style: str) -> None:
    findings = run(_broken(mm_h(style, droppable=False)))
    assert [f for f in findings if f.flag == "VM_DROPPABLE"] == []
    assert not [f for f in findings if f.rule_id in ("PC703", "PC704")]


def test_without_mm_h_the_pack_still_applies() -> None:
    """A partial tree (no mm.h) cannot say the flag is absent: the families still run."""
    ksm = (TREE / "mm" / "ksm.c").read_text().replace(" | VM_DROPPABLE))", "))")
    tree = OverlayTree(DirectoryTree(TREE), {"mm/ksm.c": ksm.encode()})
    assert "PC609" in {f.rule_id for f in run(tree)}
