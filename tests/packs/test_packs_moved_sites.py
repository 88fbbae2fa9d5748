"""Sites that move between releases: a member's test reached through helpers (same file, or a static
inline of an included header, several levels deep), the bit-number form of a test, and members renamed or
moved to another file (PC704 names where the pattern lives now, and the member is checked there)."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchcheck.report.finding import Finding, Severity
from patchcheck.rules.base import CheckContext
from patchcheck.rules.packs import load_packs
from patchcheck.rules.packs.members import JudgeMemo, MemberJudge, SourceCache, Status
from patchcheck.source.tree import DirectoryTree, OverlayTree

TREE = Path(__file__).resolve().parents[2] / "fixtures" / "packs" / "tree"

KSM_MASK = "(VM_SHARED | VM_MAYSHARE | VM_PFNMAP |\n\t\t\t     VM_IO | VM_HUGETLB | VM_DROPPABLE)"


def run(changes: dict[str, str]) -> list[Finding]:
    tree = OverlayTree(DirectoryTree(TREE), {p: t.encode() for p, t in changes.items()})
    return list(load_packs()[0].run(CheckContext(tree=tree)))


def ksm(helper_mask: str, *, depth: int = 1, where: str = "same file") -> dict[str, str]:
    """mm/ksm.c whose vma_ksm_compatible() tests the mask only through `depth` helpers."""
    chain = "".join(
        f"static bool ksm_step{n}(struct file *file, vm_flags_t vm_flags)\n{{\n"
        f"\treturn ksm_step{n + 1}(file, vm_flags);\n}}\n\n"
        for n in range(1, depth)
    )
    last = (
        f"static inline bool ksm_step{depth}(struct file *file, vm_flags_t vm_flags)\n{{\n"
        f"\tif (vm_flags & {helper_mask})\n\t\treturn false;\n\treturn true;\n}}\n"
    )
    caller = (
        "static bool vma_ksm_compatible(struct vm_area_struct *vma)\n{\n"
        "\treturn ksm_step1(vma->vm_file, vma->vm_flags);\n}\n"
    )
    if where == "same file":
        return {"mm/ksm.c": "#include <linux/ksm.h>\n\n" + last + "\n" + chain + caller}
    return {"mm/ksm.c": "#include <linux/ksm.h>\n\n" + chain + caller, "include/linux/ksm.h": last}


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("where", ["same file", "header"])
def test_a_test_moved_into_helpers_still_counts(depth: int, where: str) -> None:
    assert [f.rule_id for f in run(ksm(KSM_MASK, depth=depth, where=where))] == []


@pytest.mark.parametrize("where", ["same file", "header"])
def test_helpers_that_do_not_test_the_flag_are_no_excuse(where: str) -> None:
    findings = run(ksm(KSM_MASK.replace(" | VM_DROPPABLE", ""), depth=2, where=where))
    assert [f.rule_id for f in findings] == ["PC609"]
    assert "never tests VM_DROPPABLE" in findings[0].message


def test_a_header_function_that_is_not_static_inline_is_not_followed() -> None:
    changes = ksm(KSM_MASK, where="header")
    changes["include/linux/ksm.h"] = changes["include/linux/ksm.h"].replace("static inline bool", "bool")
    assert [f.rule_id for f in run(changes)] == ["PC609"]


def test_a_guard_through_a_helper_counts() -> None:
    """PC601's guarded call: the condition calls a helper that tests the flag (in an included header)."""
    rmap = (
        (TREE / "mm" / "rmap.c")
        .read_text()
        .replace(
            "\tif (!(vma->vm_flags & VM_DROPPABLE))\n\t\t__folio",
            "\tif (!vma_is_droppable(vma))\n\t\t__folio",
        )
    )
    rmap = rmap.replace("#include <linux/mm.h>\n", "#include <linux/mm.h>\n#include <linux/mm_inline.h>\n")
    header = (
        "static inline bool vma_is_droppable(struct vm_area_struct *vma)\n{\n"
        "\treturn vma->vm_flags & VM_DROPPABLE;\n}\n"
    )
    assert run({"mm/rmap.c": rmap, "include/linux/mm_inline.h": header}) == []
    assert [f.rule_id for f in run({"mm/rmap.c": rmap})] == ["PC601"]  # the helper is nowhere: missing


@pytest.mark.parametrize(
    "test",
    [
        "vma_flags_test(&vma->flags, VMA_DROPPABLE_BIT)",
        "test_bit(VMA_DROPPABLE_BIT, vma->flags.__vma_flags)",
        "(vma->vm_flags & BIT(VMA_DROPPABLE_BIT))",
    ],
)
def test_the_bit_number_form_is_a_test(test: str) -> None:
    uffd = (
        (TREE / "include" / "linux" / "userfaultfd_k.h")
        .read_text()
        .replace("if (vma->vm_flags & VM_DROPPABLE)", f"if ({test})")
    )
    assert run({"include/linux/userfaultfd_k.h": uffd}) == []


def test_setting_the_bit_is_no_test() -> None:
    uffd = (
        (TREE / "include" / "linux" / "userfaultfd_k.h")
        .read_text()
        .replace(
            "if (vma->vm_flags & VM_DROPPABLE)\n\t\treturn false;",
            "vma_flags_set(&vma->flags, VMA_DROPPABLE_BIT);",
        )
    )
    assert [f.rule_id for f in run({"include/linux/userfaultfd_k.h": uffd})] == ["PC610"]


def test_a_member_moved_to_another_file_is_checked_there() -> None:
    """dup_mmap() moves from kernel/fork.c to mm/mmap.c: PC704 says where, and PC611 judges it there."""
    fork = (TREE / "kernel" / "fork.c").read_text()
    body = fork[fork.index("static int dup_mmap") :]
    mmap = (TREE / "mm" / "mmap.c").read_text() + "\n" + body
    changes = {
        "kernel/fork.c": "/* Kernel-shaped fixture: fork without the VMA copy. */\n",
        "mm/mmap.c": mmap,
    }
    (pc704,) = run(changes)
    assert pc704.rule_id == "PC704" and pc704.severity is Severity.UNRESOLVED
    assert "its pattern lives now in mm/mmap.c: dup_mmap()" in pc704.message
    broken = mmap.replace("VM_LOCKED_MASK);", "VM_LOCKED_MASK | VM_DROPPABLE);")
    assert sorted(f.rule_id for f in run({**changes, "mm/mmap.c": broken})) == ["PC611", "PC704"]


def test_a_renamed_member_is_found_by_what_it_does() -> None:
    ksm_c = (TREE / "mm" / "ksm.c").read_text().replace("vma_ksm_compatible", "ksm_vma_ok")
    (pc704,) = run({"mm/ksm.c": ksm_c})
    assert "lives now in mm/ksm.c: ksm_vma_ok()" in pc704.message
    broken = ksm_c.replace(" | VM_DROPPABLE))", "))")
    assert {f.rule_id for f in run({"mm/ksm.c": broken})} == {"PC704"}  # no function tests it: not found


@pytest.mark.parametrize(
    ("guard", "reported"),
    [
        ("", True),
        ("\tif (!(vma->vm_flags & VM_DROPPABLE))\n\t", False),
        ("\tif (!vma_flags_test(&vma->flags, VMA_DROPPABLE_BIT))\n\t", False),
        ("\tif (!(vma->vm_flags & VM_LOCKED))\n\t", True),
    ],
)
def test_a_new_site_that_already_tests_the_flag_is_no_unreviewed_site(guard: str, reported: bool) -> None:
    rmap = (
        (TREE / "mm" / "rmap.c")
        .read_text()
        .replace(
            "static void rmap_walk_helper",
            "static void remap_one(struct vm_area_struct *vma, struct folio *folio)\n"
            f"{{\n{guard}\tfolio_set_swapbacked(folio);\n}}\n\nstatic void rmap_walk_helper",
        )
    )
    assert [f.rule_id for f in run({"mm/rmap.c": rmap})] == (["PC703"] if reported else [])


def test_a_new_site_in_a_file_the_pack_exempts_for_one_reason_is_not_unreviewed() -> None:
    """mm/shmem.c's three exemptions share one reason (shmem folios are never in a droppable VMA): a new
    shmem function setting swap-backed has that reason too. mm/memory.c's one exemption is about its
    function (do_swap_page), so a new site there is still reported."""
    site = (
        "\nstatic int {name}(struct folio *folio, struct vm_area_struct *vma)\n"
        "{{\n\tfolio_set_swapbacked(folio);\n\treturn 0;\n}}\n"
    )
    shmem = (TREE / "mm" / "shmem.c").read_text() + site.format(name="shmem_swapin_new")
    assert run({"mm/shmem.c": shmem}) == []
    memory = (TREE / "mm" / "memory.c").read_text() + site.format(name="memory_new_site")
    assert [f.rule_id for f in run({"mm/memory.c": memory})] == ["PC703"]


@pytest.mark.parametrize("where", ["same file", "header"])
def test_states_of_one_run_share_judgements_only_while_what_they_read_is_the_same(where: str) -> None:
    """verify judges members once per run and reuses the verdict in later states; a state where a file the
    judgement read (the member's, or a header its helper is in) differs is judged again."""
    shared: dict[object, object] = {}
    packs = load_packs()[0]

    def judged(helper_mask: str) -> list[str]:
        changes = ksm(helper_mask, depth=2, where=where)
        tree = OverlayTree(DirectoryTree(TREE), {p: t.encode() for p, t in changes.items()})
        return [f.rule_id for f in packs.run(CheckContext(tree=tree, memo=shared))]

    without = KSM_MASK.replace(" | VM_DROPPABLE", "")
    assert judged(KSM_MASK) == []
    assert judged(without) == ["PC609"]
    assert judged(KSM_MASK) == []
    assert any(key[0] == "pack-judgements" for key in shared if isinstance(key, tuple))


def test_a_reused_judgement_records_the_header_of_a_helper_an_earlier_judgement_looked_up() -> None:
    """Two judgements in one state reach the same helper in a header (the second from the lookup the first
    made); a later state that changes only that header judges again."""
    member = next(m for r in load_packs()[0].packs.rules if r.id == "PC609" for m in r.members)
    memo: JudgeMemo = {}

    def judge(mask: str, flag: str) -> Status:
        changes = ksm(mask, depth=2, where="header")
        tree = OverlayTree(DirectoryTree(TREE), {p: t.encode() for p, t in changes.items()})
        return MemberJudge(SourceCache(tree), memo).judge(member, flag, set(), set()).status

    both = KSM_MASK.replace(")", " | VM_EXTRA)")
    changes = ksm(both, depth=2, where="header")
    tree = OverlayTree(DirectoryTree(TREE), {p: t.encode() for p, t in changes.items()})
    first = MemberJudge(SourceCache(tree), memo)
    assert first.judge(member, "VM_DROPPABLE", set(), set()).status is Status.OK
    assert first.judge(member, "VM_EXTRA", set(), set()).status is Status.OK
    assert judge(KSM_MASK, "VM_EXTRA") is Status.MISSING
    assert judge(both, "VM_EXTRA") is Status.OK
