"""Who gets family reminders (PC702): flags the series introduces or whose properties it declares or
promises, never a flag it merely touches while the pack alone knows its properties."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchcheck.intake.assemble import load_series
from patchcheck.report.finding import Finding
from patchcheck.rules.base import CheckContext
from patchcheck.rules.packs import load_packs
from patchcheck.source.tree import EmptyTree
from tests.packs.test_packs_series import seed_mail

# A second pack giving VM_SCRATCH properties, so every case is checked for two flags the pack knows.
EXTRA_PACK = """\
pack: extra
doc: test pack
flags:
  VM_SCRATCH:
    properties: [discardable, never-locked, mmap-created]
rules: []
"""


def mbox(subject: str, message: str, diff: str) -> str:
    return (
        "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
        "From: Pat Checker <pat@example.org>\nDate: Thu, 26 Nov 2026 10:00:00 +0000\n"
        f"Subject: [PATCH] {subject}\nMessage-ID: <r-{abs(hash(subject))}@example.org>\n\n"
        f"{message}\nSigned-off-by: Pat Checker <pat@example.org>\n---\n{diff}--\n2.45.0\n\n"
    )


def redefine_for_one_more_arch(flag: str) -> str:
    """An existing flag, defined for one more architecture: the other definitions are in the context."""
    return mbox(
        f"mm: define {flag} on riscv32 too",
        f"riscv32 has a free arch bit, so {flag} can live there as well.\n",
        "diff --git a/include/linux/mm.h b/include/linux/mm.h\n"
        "--- a/include/linux/mm.h\n+++ b/include/linux/mm.h\n"
        "@@ -30,6 +30,8 @@ struct vm_area_struct;\n"
        " #ifdef CONFIG_64BIT\n"
        f" #define {flag}_BIT 40\n"
        f" #define {flag} BIT({flag}_BIT)\n"
        "+#elif defined(CONFIG_RISCV) && defined(CONFIG_32BIT)\n"
        f"+#define {flag} VM_ARCH_1\n"
        " #else\n"
        f" #define {flag} VM_NONE\n"
        " #endif\n",
    )


def run(text: str, tmp_path: Path, notes: list[str] | None = None) -> list[Finding]:
    (tmp_path / "series.mbox").write_text(text)
    (tmp_path / "extra.yaml").write_text(EXTRA_PACK)
    series = load_series(str(tmp_path / "series.mbox"))
    ctx = CheckContext(tree=EmptyTree(), series=series, patch_index=len(series.patches))
    ctx.cache["diff_only"] = True
    found = list(load_packs([tmp_path / "extra.yaml"])[0].run(ctx))
    if notes is not None:
        notes.extend(ctx.notes)
    return found


@pytest.mark.parametrize("flag", ["VM_DROPPABLE", "VM_SCRATCH"])
def test_redefining_an_existing_flag_for_one_more_arch_gets_no_family_reminders(
    flag: str, tmp_path: Path
) -> None:
    notes: list[str] = []
    found = run(redefine_for_one_more_arch(flag), tmp_path, notes)
    assert [f for f in found if f.rule_id.startswith("PC6") or f.rule_id == "PC702"] == []
    # Said once, with the families and the reason.
    (note,) = [n for n in notes if flag in n]
    assert "PC609" in note and "PC608" in note and "rule pack" in note


@pytest.mark.parametrize("flag", ["VM_DROPPABLE", "VM_SCRATCH"])
def test_a_promise_in_the_series_is_held_to_its_families(flag: str, tmp_path: Path) -> None:
    text = redefine_for_one_more_arch(flag).replace(
        "as well.\n", f"as well. {flag} pages may be dropped under memory pressure.\n"
    )
    notes: list[str] = []
    found = run(text, tmp_path, notes)
    (claim,) = [f for f in found if f.rule_id == "PC701"]
    assert "discardable" in claim.message and "vma_ksm_compatible" in (claim.hint or "")
    assert not [n for n in notes if "discardable" in n]


@pytest.mark.parametrize("flag", ["VM_DROPPABLE", "VM_SCRATCH"])
def test_adding_the_flag_to_a_member_brings_the_reminders_back(flag: str, tmp_path: Path) -> None:
    rmap = (
        "diff --git a/mm/rmap.c b/mm/rmap.c\n--- a/mm/rmap.c\n+++ b/mm/rmap.c\n"
        "@@ -40,3 +40,4 @@ void folio_add_new_anon_rmap(struct folio *folio, struct vm_area_struct *vma,\n"
        " \tVM_BUG_ON_VMA(address < vma->vm_start, vma);\n"
        f"-\t__folio_set_swapbacked(folio);\n+\tif (!(vma->vm_flags & {flag}))\n"
        "+\t\t__folio_set_swapbacked(folio);\n \t__folio_set_anon(folio, vma, address, true);\n"
    )
    text = redefine_for_one_more_arch(flag).replace("--\n2.45.0", rmap + "--\n2.45.0")
    found = run(text, tmp_path)
    reminded = {f.location.path for f in found if f.rule_id == "PC702" and f.location}
    assert reminded == {"mm/rmap.c", "mm/ksm.c", "include/linux/userfaultfd_k.h"}


def test_seed_reminders_come_from_the_diff_not_from_the_packs_hindsight(tmp_path: Path) -> None:
    notes: list[str] = []
    found = run(seed_mail().read_text(), tmp_path, notes)
    reminded = {f.location.path for f in found if f.rule_id == "PC702" and f.location}
    # discardable: the patch adds VM_DROPPABLE to the swap-backed sites and says pages are dropped.
    assert reminded == {"mm/ksm.c", "include/linux/userfaultfd_k.h"}
    # mmap-created is only the pack's hindsight: the madvise and mmap families are named in one note.
    (note,) = [n for n in notes if "VM_DROPPABLE" in n]
    assert "PC607" in note and "PC608" in note and "mmap-created" in note


def test_a_new_flag_declared_by_a_member_is_still_reminded(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    found = run((repo / "fixtures/packs/series/new-flag-partial.mbox").read_text(), tmp_path)
    assert {f.location.path for f in found if f.rule_id == "PC702" and f.location} == {
        "mm/rmap.c",
        "mm/ksm.c",
        "include/linux/userfaultfd_k.h",
    }
