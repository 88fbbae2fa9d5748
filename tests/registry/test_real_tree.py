"""`audit` on Debian's linux-source-6.12 (registry rules and rule packs): every finding, each confirmed by
reading the tree.

Read in the tree (6.12.y, fs/proc/task_mmu.c show_smap_vma_flags, include/trace/events/mmflags.h,
Documentation/filesystems/proc.rst, include/linux/mm.h):
- PC205 x2: the pkey entries of the smaps table sit under `#if VM_PKEY_BIT3` / `#if VM_PKEY_BIT4`, value tests
  of VM_* macros (mainline later moved them to CONFIG_ARCH_PKEY_BITS tests).
- PC201: VM_ALLOW_ANY_UNCACHED is bit 39 on every 64-bit kernel and has no [ilog2()] entry: smaps prints '??'.
- PC301: {VM_UFFD_MISSING, "uffd_missing"} is unwrapped, and VM_UFFD_MISSING is 0 without CONFIG_MMU; a zero
  mask matches every VMA (mm/debug.c builds vmaflag_names on nommu too).
- PC303 x3: VM_SEALED, VM_ALLOW_ANY_UNCACHED (64BIT) and VM_MAYOVERLAY (!MMU, several arches) have no trace
  name.
- PC304: on PPC32 VM_DROPPABLE is VM_ARCH_1, but __VM_ARCH_SPECIFIC_1 falls to {VM_ARCH_1, "arch_1"} there
  (only PPC64 gets "sao"), so "droppable" is never printed.
- PC401 x3: "lf", "ui" and "dp" are printed but absent from the VmFlags table; PC402: "dw" is documented but
  VM_DENYWRITE's mnemonic is long gone.
- PC612 (rule pack): vma_can_userfault() in include/linux/userfaultfd_k.h does `vm_flags &= __VM_UFFD_FLAGS;`
  and then tests `vm_flags & VM_DROPPABLE`: __VM_UFFD_FLAGS is VM_UFFD_MISSING | VM_UFFD_WP | VM_UFFD_MINOR,
  so the test is always false and droppable VMAs are not refused there (mainline later tests vma->vm_flags).
Not reported, and rightly: VM_SEALED's users are all 64-bit only (mm/vma.h under CONFIG_64BIT, mseal.o built
`ifdef CONFIG_64BIT`), the pkey / MTE / shadow-stack sharing of VM_HIGH_ARCH_4/5, the VM_ARCH_1 aliases.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from patchcheck.report.finding import Report
from patchcheck.rules.engine import audit
from patchcheck.source.tree import DirectoryTree

pytestmark = pytest.mark.realtree

EXPECTED = {
    ("PC205", "fs/proc/task_mmu.c", "VM_PKEY_BIT3"),
    ("PC205", "fs/proc/task_mmu.c", "VM_PKEY_BIT4"),
    ("PC201", "include/linux/mm.h", "VM_ALLOW_ANY_UNCACHED"),
    ("PC301", "include/trace/events/mmflags.h", "VM_UFFD_MISSING"),
    ("PC303", "include/linux/mm.h", "VM_MAYOVERLAY"),
    ("PC303", "include/linux/mm.h", "VM_ALLOW_ANY_UNCACHED"),
    ("PC303", "include/linux/mm.h", "VM_SEALED"),
    ("PC304", "include/trace/events/mmflags.h", "VM_DROPPABLE"),
    ("PC401", "fs/proc/task_mmu.c", "VM_LOCKONFAULT"),
    ("PC401", "fs/proc/task_mmu.c", "VM_UFFD_MINOR"),
    ("PC401", "fs/proc/task_mmu.c", "VM_DROPPABLE"),
    ("PC402", "Documentation/filesystems/proc.rst", None),
    ("PC612", "include/linux/userfaultfd_k.h", "VM_DROPPABLE"),
}


@pytest.fixture(scope="module")
def report(real_tree: Path) -> Report:
    return audit(DirectoryTree(real_tree))


def test_audit_reports_exactly_the_confirmed_gaps(report: Report) -> None:
    got = {(f.rule_id, f.location.path if f.location else "", f.flag) for f in report.findings}
    assert got == EXPECTED
    assert len(report.findings) == len(EXPECTED)
    assert report.skipped == []


def test_each_finding_points_at_the_line_read(report: Report, real_tree: Path) -> None:
    for f in report.findings:
        assert f.location is not None and f.location.line
        line = (real_tree / f.location.path).read_text(errors="replace").split("\n")[f.location.line - 1]
        if f.rule_id == "PC205":
            assert line.strip() == f"#if {f.flag}"
        elif f.rule_id == "PC401":
            assert f"ilog2({f.flag})" in line
        elif f.rule_id == "PC402":
            assert line.split()[0] == "dw"
        elif f.rule_id in ("PC301", "PC304"):
            assert f.flag in line
        elif f.rule_id == "PC612":
            assert line.strip() == f"if (vm_flags & {f.flag})"
        else:
            assert f"#define {f.flag}" in " ".join(line.split()) or f"# define {f.flag}" in line


def test_documented_codes_in_messages(report: Report) -> None:
    codes = {f.message.split('"')[1] for f in report.findings if f.rule_id in ("PC401", "PC402")}
    assert codes == {"lf", "ui", "dp", "dw"}


def test_droppable_ppc32_evidence(report: Report) -> None:
    f = next(f for f in report.findings if f.rule_id == "PC304")
    assert any("ARCH=powerpc" in e and "CONFIG_PPC32=y" in e for e in f.evidence)


def test_flag_filter_on_the_real_tree(real_tree: Path) -> None:
    report = audit(DirectoryTree(real_tree), flags=frozenset({"VM_DROPPABLE"}))
    assert {f.rule_id for f in report.findings} == {"PC304", "PC401", "PC612"}


def test_verify_on_the_real_tree_reports_only_what_a_series_changes(real_tree: Path) -> None:
    """Patch 1 documents "dp" (fixes one gap); patch 2 narrows the dp entry to CONFIG_64BIT (the PPC32
    case)."""
    from patchcheck.rules.engine import verify_states
    from patchcheck.source.tree import OverlayTree

    base = DirectoryTree(real_tree)
    rst = "Documentation/filesystems/proc.rst"
    smaps = "fs/proc/task_mmu.c"
    doc = (
        (real_tree / rst)
        .read_bytes()
        .replace(b"    sl    sealed\n", b"    sl    sealed\n    dp    droppable\n")
    )
    code = (real_tree / smaps).read_bytes()
    narrowed = code.replace(b"#if defined(CONFIG_64BIT) || defined(CONFIG_PPC32)\n", b"#ifdef CONFIG_64BIT\n")
    assert narrowed != code
    first = OverlayTree(base, {rst: doc})
    second = OverlayTree(base, {rst: doc, smaps: narrowed})
    report = verify_states([base, first, second])
    got = [
        (f.rule_id, f.flag, f.patch)
        for f in report.findings
        if f.rule_id.startswith(("PC1", "PC2", "PC3", "PC4")) and not f.message.endswith("(pre-existing)")
    ]
    assert got == [("PC202", "VM_DROPPABLE", 2)]
    # Patch 1 edits proc.rst's table: its other gaps ("lf" undocumented, "dw" stale) are named, lower.
    old = {(f.rule_id, f.severity.value, f.patch) for f in report.findings if "(pre-existing)" in f.message}
    assert ("PC401", "info", 1) in old and ("PC402", "info", 1) in old


@pytest.mark.realtree
def test_value_test_hint_names_the_flags_own_condition(report: Report) -> None:
    """The fix for `#if VM_PKEY_BIT4` is its own condition (> 4), not the generic example (> 3)."""
    hints = {f.flag: f.hint or "" for f in report.findings if f.rule_id == "PC205"}
    assert "CONFIG_ARCH_PKEY_BITS > 3" in hints["VM_PKEY_BIT3"]
    assert "CONFIG_ARCH_PKEY_BITS > 4" in hints["VM_PKEY_BIT4"]
    assert "> 3" not in hints["VM_PKEY_BIT4"]
