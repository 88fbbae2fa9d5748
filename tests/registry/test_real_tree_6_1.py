"""`audit` and `flags` on Debian's linux-source-6.1 (bookworm; style A, before VM_DROPPABLE, VM_SEALED and
VM_SHADOW_STACK): every finding, each confirmed by reading the tree.

Read in the tree (6.1.y):
- PC201: VM_LOCKONFAULT (0x00080000, bit 19, include/linux/mm.h) has no [ilog2()] entry in
  show_smap_vma_flags() (fs/proc/task_mmu.c): smaps prints '??' for it ("lf" came later).
- PC205: the last pkey entry sits under `#if VM_PKEY_BIT4`, a value test of a VM_* macro.
- PC401: "ui" (VM_UFFD_MINOR, under CONFIG_HAVE_ARCH_USERFAULTFD_MINOR) is printed but absent from the
  VmFlags table of Documentation/filesystems/proc.rst.
- PC402: proc.rst documents "dw" (disabled write), whose VM_DENYWRITE mnemonic is gone.
Not reported, and rightly: no flag of the droppable rule pack exists, so none of its families (PC601-PC611)
or their discovery (PC703) runs; VM_UFFD_MISSING is defined unconditionally (no PC301 as on 6.12); every
generic flag has a trace name. tools/testing/vma does not exist yet: PC109 and PC616 are skipped.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from patchcheck.report.finding import Report
from patchcheck.rules.engine import audit
from patchcheck.source.tree import DirectoryTree

pytestmark = pytest.mark.realtree

EXPECTED = {
    ("PC201", "include/linux/mm.h", 301, "VM_LOCKONFAULT"),
    ("PC205", "fs/proc/task_mmu.c", 699, "VM_PKEY_BIT4"),
    ("PC401", "fs/proc/task_mmu.c", 704, "VM_UFFD_MINOR"),
    ("PC402", "Documentation/filesystems/proc.rst", 540, None),
}


@pytest.fixture(scope="module")
def report(real_tree_6_1: Path) -> Report:
    return audit(DirectoryTree(real_tree_6_1))


def test_audit_reports_exactly_the_confirmed_gaps(report: Report) -> None:
    got = {
        (f.rule_id, f.location.path if f.location else "", f.location.line if f.location else None, f.flag)
        for f in report.findings
    }
    assert got == EXPECTED
    assert len(report.findings) == len(EXPECTED)
    assert sorted(s.split()[0] for s in report.skipped) == ["PC109", "PC616"]


def test_no_droppable_family_fires(report: Report) -> None:
    assert not [f for f in report.findings if f.rule_id.startswith(("PC6", "PC7"))]
    assert not [f for f in report.findings if f.flag == "VM_DROPPABLE"]


def test_each_finding_points_at_the_line_read(report: Report, real_tree_6_1: Path) -> None:
    for f in report.findings:
        assert f.location is not None and f.location.line
        line = (real_tree_6_1 / f.location.path).read_text(errors="replace").split("\n")[f.location.line - 1]
        expected = {
            "PC201": "#define VM_LOCKONFAULT",
            "PC205": "#if VM_PKEY_BIT4",
            "PC401": "[ilog2(VM_UFFD_MINOR)]",
            "PC402": "dw ",
        }[f.rule_id]
        assert line.strip().startswith(expected), line


# Read by hand from include/linux/mm.h, task_mmu.c, mmflags.h and proc.rst of 6.1: the hard flags that exist.
HARD_FLAGS_6_1 = {
    "VM_UFFD_MINOR": (
        [
            ("bit", 37, "CONFIG_HAVE_ARCH_USERFAULTFD_MINOR"),
            ("none", None, "!CONFIG_HAVE_ARCH_USERFAULTFD_MINOR"),
        ],
        ["ui"],
        ["uffd_minor"],
        False,
    ),
    "VM_MTE": (
        [
            ("bit", 32, "CONFIG_ARM64_MTE && CONFIG_ARCH_USES_HIGH_VMA_FLAGS"),
            ("none", None, "!CONFIG_ARM64_MTE"),
        ],
        ["mt"],
        [],
        True,
    ),
    "VM_PKEY_BIT0": (
        [("bit", 32, "CONFIG_ARCH_HAS_PKEYS && CONFIG_ARCH_USES_HIGH_VMA_FLAGS")],
        [""],
        [],
        None,
    ),
    "VM_PKEY_BIT4": (
        [
            ("bit", 36, "CONFIG_ARCH_HAS_PKEYS && CONFIG_PPC && CONFIG_ARCH_USES_HIGH_VMA_FLAGS"),
            ("zero", None, "CONFIG_ARCH_HAS_PKEYS && !CONFIG_PPC"),
        ],
        [""],
        [],
        None,
    ),
    "VM_SAO": ([("bit", 24, "!CONFIG_X86 && CONFIG_PPC")], [], ["sao"], None),
    "VM_GROWSUP": (
        [
            ("bit", 24, "!(CONFIG_X86 || CONFIG_PPC) && CONFIG_PARISC"),
            ("bit", 24, "!(CONFIG_X86 || CONFIG_PPC || CONFIG_PARISC) && CONFIG_IA64"),
            (
                "none",
                None,
                "!(!(CONFIG_X86 || CONFIG_PPC) && CONFIG_PARISC || "
                "!(CONFIG_X86 || CONFIG_PPC || CONFIG_PARISC) && CONFIG_IA64)",
            ),
        ],
        [],
        ["growsup"],
        None,
    ),
}


def _flags(tree: Path, *names: str) -> subprocess.CompletedProcess[str]:
    args = [a for n in names for a in ("--flag", n)]
    return subprocess.run(
        [sys.executable, "-m", "patchcheck", "flags", "--tree", str(tree), "--format", "json", *args],
        capture_output=True,
        text=True,
    )


def test_flags_rows_of_the_hard_flags(real_tree_6_1: Path) -> None:
    out = _flags(real_tree_6_1, *HARD_FLAGS_6_1)
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in json.loads(out.stdout)["flags"]}
    assert sorted(rows) == sorted(HARD_FLAGS_6_1)
    for name, (definitions, smaps, trace, documented) in HARD_FLAGS_6_1.items():
        row = rows[name]
        assert [(d["value"], d["bit"], d["guard"]) for d in row["definitions"]] == definitions, name
        assert [s["mnemonic"] for s in row["smaps"]] == smaps, name
        assert [t["name"] for t in row["trace"]] == trace, name
        assert row["documented"] is documented, name


def test_flags_that_came_later_do_not_exist(real_tree_6_1: Path) -> None:
    out = _flags(real_tree_6_1, "VM_DROPPABLE", "VM_SEALED", "VM_SHADOW_STACK")
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "patchcheck: error: --flag: VM_DROPPABLE, VM_SEALED, VM_SHADOW_STACK are not defined in "
        "include/linux/mm.h"
    )
