"""Every pack rule stays silent on the handled fixture tree and fires on a tree that breaks its site.

The silent fixture is fixtures/packs/tree (kernel-shaped, written for these tests). Each firing fixture is
that tree with one edit, listed below next to the rule it must trigger, so the two differ by one site.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from patchcheck.report.finding import Finding, Severity
from patchcheck.rules.base import CheckContext
from patchcheck.rules.packs import load_packs
from patchcheck.source.tree import DirectoryTree, OverlayTree

TREE = Path(__file__).resolve().parents[2] / "fixtures" / "packs" / "tree"


@dataclass(frozen=True)
class Breakage:
    rules: frozenset[str]  # exactly the rules that must fire
    path: str
    old: str
    new: str
    where: tuple[str, int]  # (path, line) of the first finding of the first rule


def _b(rules: str, path: str, old: str, new: str, where: tuple[str, int]) -> Breakage:
    return Breakage(frozenset(rules.split()), path, old, new, where)


BREAKAGES = {
    "new-anon-unguarded": _b(
        "PC601",
        "mm/rmap.c",
        "\tif (!(vma->vm_flags & VM_DROPPABLE))\n\t\t__folio",
        "\t__folio",
        ("mm/rmap.c", 8),
    ),
    "dirty-kept": _b(
        "PC602",
        "mm/rmap.c",
        "(!folio_test_dirty(folio) ||\n\t\t\t  (vma->vm_flags & VM_DROPPABLE))",
        "!folio_test_dirty(folio)",
        ("mm/rmap.c", 18),
    ),
    "no-noreserve": _b(
        "PC603 PC608", "mm/mmap.c", "\t\t\tvm_flags |= VM_NORESERVE;\n", "", ("mm/mprotect.c", 11)
    ),
    "oom-fatal": _b(
        "PC604", "mm/memory.c", "\tis_droppable = !!(vma->vm_flags & VM_DROPPABLE);\n", "", ("mm/memory.c", 2)
    ),
    "alloc-warns": _b(
        "PC605",
        "mm/mempolicy.c",
        "\tif (vma->vm_flags & VM_DROPPABLE)\n\t\tgfp |= __GFP_NOWARN;\n",
        "",
        ("mm/mempolicy.c", 2),
    ),
    "mlock-6.11-shape": _b(
        "PC606",
        "mm/mmap.c",
        "if (!vma_supports_mlock(vma))",
        "if ((vm_flags & VM_SPECIAL) || is_vm_hugetlb_page(vma))",
        ("mm/mmap.c", 32),
    ),
    "keeponfork-allowed": _b(
        "PC607",
        "mm/madvise.c",
        "\tcase MADV_KEEPONFORK:\n\t\tif (vma->vm_flags & VM_DROPPABLE)\n\t\t\treturn -EINVAL;\n",
        "\tcase MADV_KEEPONFORK:\n",
        ("mm/madvise.c", 17),
    ),
    "map-locked-accepted": _b(
        "PC608",
        "mm/mmap.c",
        "\t\t\tif (flags & (MAP_LOCKED | MAP_HUGETLB))\n\t\t\t\treturn -EINVAL;\n",
        "",
        ("mm/mmap.c", 12),
    ),
    "ksm-merges": _b("PC609", "mm/ksm.c", " | VM_DROPPABLE))", "))", ("mm/ksm.c", 2)),
    "uffd-registers": _b(
        "PC610",
        "include/linux/userfaultfd_k.h",
        "\tif (vma->vm_flags & VM_DROPPABLE)\n\t\treturn false;\n\n",
        "",
        ("include/linux/userfaultfd_k.h", 4),
    ),
    "fork-clears": _b(
        "PC611", "kernel/fork.c", "VM_LOCKED_MASK);", "VM_LOCKED_MASK | VM_DROPPABLE);", ("kernel/fork.c", 10)
    ),
    "uffd-dead-test": _b(
        "PC612",
        "include/linux/userfaultfd_k.h",
        "\tif (vma->vm_flags & VM_DROPPABLE)\n\t\treturn false;\n\n\tvm_flags &= __VM_UFFD_FLAGS;\n",
        "\tvm_flags &= __VM_UFFD_FLAGS;\n\n\tif (vm_flags & VM_DROPPABLE)\n\t\treturn false;\n",
        ("include/linux/userfaultfd_k.h", 9),
    ),
    "vma-after-fault": _b(
        "PC613",
        "mm/memory.c",
        "\tif (is_droppable)\n",
        "\tif (vma->vm_flags & VM_DROPPABLE)\n",
        ("mm/memory.c", 18),
    ),
    "rust-wrong-init": _b(
        "PC614",
        "rust/bindings/bindings_helper.h",
        "VM_MAYSHARE = VM_MAYSHARE",
        "VM_MAYSHARE = VM_MAYEXEC",
        ("rust/bindings/bindings_helper.h", 4),
    ),
    "rust-blocklisted-twice": _b(
        "PC614",
        "rust/bindgen_parameters",
        "--blocklist-item VM_MAYSHARE",
        "--blocklist-item VM_READ",
        ("rust/bindgen_parameters", 4),
    ),
    "tools-mirror-stale": _b(
        "PC615",
        "tools/include/uapi/linux/mman.h",
        "#define MAP_DROPPABLE\t0x08\n",
        "",
        ("include/uapi/linux/mman.h", 4),
    ),
    "vma-test-header-stale": _b(
        "PC616", "mm/vma.c", "& ~VM_SOFTDIRTY)", "& ~(VM_SOFTDIRTY | VM_DROPPABLE))", ("mm/vma.c", 6)
    ),
    "unreviewed-swapbacked": _b(
        "PC703",
        "mm/rmap.c",
        "static void rmap_walk_helper",
        "static void remap_one(struct vm_area_struct *vma, struct folio *folio)\n"
        "{\n\tfolio_set_swapbacked(folio);\n}\n\nstatic void rmap_walk_helper",
        ("mm/rmap.c", 30),
    ),
    "member-renamed": _b("PC704", "mm/ksm.c", "vma_ksm_compatible", "ksm_vma_ok", ("mm/ksm.c", 0)),
}


def run(tree: DirectoryTree | OverlayTree) -> list[Finding]:
    return list(load_packs()[0].run(CheckContext(tree=tree)))


def broken_tree(b: Breakage) -> OverlayTree:
    text = (TREE / b.path).read_text()
    assert text.count(b.old) == 1, f"fixture edit {b.old!r} must match once in {b.path}"
    return OverlayTree(DirectoryTree(TREE), {b.path: text.replace(b.old, b.new).encode()})


def test_handled_tree_is_silent() -> None:
    assert run(DirectoryTree(TREE)) == []


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_breaking_one_site_fires_its_rule(name: str) -> None:
    breakage = BREAKAGES[name]
    findings = run(broken_tree(breakage))
    assert {f.rule_id for f in findings} == breakage.rules, [f.message for f in findings]
    first = sorted(breakage.rules)[0]
    hit = next(f for f in findings if f.rule_id == first)
    assert hit.location is not None
    path, line = breakage.where
    assert hit.location.path == path
    assert (hit.location.line or 0) == line, hit.message
    assert hit.hint


def test_read_after_fault_names_the_field_and_both_fault_calls() -> None:
    (hit,) = run(broken_tree(BREAKAGES["vma-after-fault"]))
    assert "reads vma->vm_flags after __handle_mm_fault() or hugetlb_fault()" in hit.message


def test_every_pack_rule_has_a_firing_fixture() -> None:
    fired = {r for b in BREAKAGES.values() for r in b.rules}
    pack_ids = {d.id for d in load_packs()[0].rules if d.id.startswith("PC6")}
    assert pack_ids <= fired


def test_stale_member_is_unresolved_not_an_error() -> None:
    findings = run(broken_tree(BREAKAGES["member-renamed"]))
    assert [f.severity for f in findings] == [Severity.UNRESOLVED]
    assert "vma_ksm_compatible() not found in mm/ksm.c" in findings[0].message


def test_flag_filter_limits_findings() -> None:
    tree = broken_tree(BREAKAGES["ksm-merges"])
    ctx = CheckContext(tree=tree, flags=frozenset({"VM_SEALED"}))
    assert list(load_packs()[0].run(ctx)) == []


def test_missing_member_file_is_not_a_finding_without_a_series(tmp_path: Path) -> None:
    (tmp_path / "mm").mkdir()
    (tmp_path / "mm" / "ksm.c").write_text((TREE / "mm" / "ksm.c").read_text())
    assert run(DirectoryTree(tmp_path)) == []


_HELPER = (
    "\n/* Kernel-shaped fixture: a predicate madvise may refuse with. */\n"
    "static inline bool vma_is_droppable(const struct vm_area_struct *vma)\n"
    "{\n\treturn vma->vm_flags & VM_DROPPABLE;\n}\n"
)


def _madvise_through_helper(*, keep_dodump_refusal: bool) -> OverlayTree:
    """madvise.c refusing through vma_is_droppable() (mm/internal.h), as a refactor writes it."""
    text = '#include "internal.h"\n' + (TREE / "mm" / "madvise.c").read_text()
    text = text.replace("\t\tif (vma->vm_flags & VM_DROPPABLE)\n", "\t\tif (vma_is_droppable(vma))\n")
    text = text.replace(
        "if ((new_flags & VM_SPECIAL) || (vma->vm_flags & VM_DROPPABLE))",
        "if ((new_flags & VM_SPECIAL) || vma_is_droppable(vma))"
        if keep_dodump_refusal
        else "if (new_flags & VM_SPECIAL)",
    )
    header = (TREE / "mm" / "internal.h").read_text() + _HELPER
    return OverlayTree(DirectoryTree(TREE), {"mm/madvise.c": text.encode(), "mm/internal.h": header.encode()})


def test_a_refusal_through_a_helper_is_a_refusal_and_a_case_without_one_is_found() -> None:
    """PC607 reads a case's test of the flag through a static inline helper (as PC606 does), so a refactor
    into vma_is_droppable() is silent, and the case it left without a refusal (MADV_DODUMP) is named."""
    assert run(_madvise_through_helper(keep_dodump_refusal=True)) == []
    (hit,) = run(_madvise_through_helper(keep_dodump_refusal=False))
    assert hit.rule_id == "PC607" and "MADV_DODUMP clears VM_DONTDUMP" in hit.message
    assert hit.location is not None and (hit.location.path, hit.location.line) == ("mm/madvise.c", 26)


def _mail(subject: str, changes: dict[str, str]) -> str:
    """A one-patch mail changing fixture files to the given texts (the diff made with difflib)."""
    import difflib

    diff = []
    for path, new in changes.items():
        old = (TREE / path).read_text().splitlines(keepends=True)
        lines = difflib.unified_diff(old, new.splitlines(keepends=True), f"a/{path}", f"b/{path}", n=3)
        diff += [f"diff --git a/{path} b/{path}\n", *lines]
    return (
        f"From: Dev <dev@example.org>\nSubject: [PATCH] {subject}\n\nNo functional change intended.\n\n"
        "Signed-off-by: Dev <dev@example.org>\n---\n" + "".join(diff)
    )


def test_verify_checks_a_flag_whose_tests_a_patch_folds_into_a_helper(tmp_path: Path) -> None:
    """A patch that removes six tests of VM_DROPPABLE and adds one (in the helper) touches the flag: its
    pack rules run, and the refusal the refactor lost is reported; the refactor that keeps it is clean."""
    import subprocess
    import sys

    def verify(tree: OverlayTree) -> subprocess.CompletedProcess[str]:
        changes = {p: (tree.read_bytes(p) or b"").decode() for p in ("mm/madvise.c", "mm/internal.h")}
        mail = tmp_path / "refactor.patch"
        mail.write_text(_mail("mm: add vma_is_droppable()", changes))
        args = ["verify", str(mail), "--tree", str(TREE), "-q", "--format", "terse"]
        return subprocess.run([sys.executable, "-m", "patchcheck", *args], capture_output=True, text=True)

    lost = verify(_madvise_through_helper(keep_dodump_refusal=False))
    assert (
        lost.returncode == 1 and "mm/madvise.c:26: ERROR: madvise_vma_behavior(): MADV_DODUMP" in lost.stdout
    )
    kept = verify(_madvise_through_helper(keep_dodump_refusal=True))
    assert kept.returncode == 0 and kept.stdout == "", kept.stdout + kept.stderr
