"""The rule packs declare what they read: a state of a series whose patch says nothing to them and changes
nothing they read keeps the state before's findings, and the report is exactly what running them on every
state gives."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from patchcheck.intake import apply_series, load_series
from patchcheck.report.finding import Finding
from patchcheck.rules.base import CheckContext, RuleDoc
from patchcheck.rules.engine import verify_states
from patchcheck.rules.packs import load_packs
from patchcheck.rules.reuse import RecordingTree
from patchcheck.source.tree import DirectoryTree

TREE = Path(__file__).resolve().parents[2] / "fixtures" / "packs" / "tree"

FIRST = """\
From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001
From: Pat Checker <pat@example.org>
Subject: [PATCH 1/2] mm: allocate VM_SCRATCH folios quietly
Message-ID: <reuse-1@example.org>

An allocation for VM_SCRATCH may fail without a warning. VM_SCRATCH memory doesn't count against
the mlock budget, since nothing is locked.
---
diff --git a/mm/mempolicy.c b/mm/mempolicy.c
--- a/mm/mempolicy.c
+++ b/mm/mempolicy.c
@@ -2,7 +2,7 @@
 struct folio *vma_alloc_folio_noprof(gfp_t gfp, int order, struct vm_area_struct *vma,
 \t\tunsigned long addr)
 {
-\tif (vma->vm_flags & VM_DROPPABLE)
+\tif (vma->vm_flags & (VM_DROPPABLE | VM_SCRATCH))
 \t\tgfp |= __GFP_NOWARN;
 \treturn folio_alloc_mpol_noprof(gfp, order, get_vma_policy(vma, addr), numa_node_id());
 }
"""

UNRELATED = """\
From 2222222222222222222222222222222222222222 Mon Sep 17 00:00:00 2001
From: Pat Checker <pat@example.org>
Subject: [PATCH 2/2] docs: a note on scratch memory
Message-ID: <reuse-2@example.org>

Write down how scratch memory came about.
---
diff --git a/Documentation/scratch.txt b/Documentation/scratch.txt
new file mode 100644
--- /dev/null
+++ b/Documentation/scratch.txt
@@ -0,0 +1,2 @@
+Scratch memory
+==============
"""

SAME_FILE = """\
From 2222222222222222222222222222222222222222 Mon Sep 17 00:00:00 2001
From: Pat Checker <pat@example.org>
Subject: [PATCH 2/2] mm/mempolicy: say why the warning is dropped
Message-ID: <reuse-2@example.org>

A comment only.
---
diff --git a/mm/mempolicy.c b/mm/mempolicy.c
--- a/mm/mempolicy.c
+++ b/mm/mempolicy.c
@@ -5,4 +5,4 @@
 \tif (vma->vm_flags & (VM_DROPPABLE | VM_SCRATCH))
 \t\tgfp |= __GFP_NOWARN;
-\treturn folio_alloc_mpol_noprof(gfp, order, get_vma_policy(vma, addr), numa_node_id());
+\treturn folio_alloc_mpol_noprof(gfp, order, get_vma_policy(vma, addr), numa_node_id()); /* quiet */
 }
"""


class Counting:
    """The pack checker, counting its runs; `declared=False` hides what it declares (runs every state)."""

    def __init__(self, inner: Any, declared: bool) -> None:
        self.inner = inner
        self.runs = 0
        if declared:
            self.relevant_patch = inner.relevant_patch

    @property
    def rules(self) -> tuple[RuleDoc, ...]:
        rules: tuple[RuleDoc, ...] = self.inner.rules
        return rules

    def run(self, ctx: CheckContext) -> Iterable[Finding]:
        self.runs += 1
        return list(self.inner.run(ctx))


def verify(second: str, tmp_path: Path, *, declared: bool) -> tuple[list[Finding], int]:
    mbox = tmp_path / "series.mbox"
    mbox.write_text(FIRST + "\n" + second)
    series = load_series(str(mbox))
    tree = DirectoryTree(TREE)
    states = [tree, *(s.tree for s in apply_series(series, tree))]
    checker = Counting(load_packs()[0], declared)
    report = verify_states(states, series=series, checkers=[checker])  # type: ignore[list-item]
    return report.findings, checker.runs


@pytest.mark.parametrize(("second", "runs"), [(UNRELATED, 2), (SAME_FILE, 3)])
def test_a_patch_the_packs_need_not_see_reuses_their_findings(second: str, runs: int, tmp_path: Path) -> None:
    declared, declared_runs = verify(second, tmp_path, declared=True)
    every, every_runs = verify(second, tmp_path, declared=False)
    assert every_runs == 3  # the tree before the series and after each patch
    assert declared_runs == runs  # the unrelated patch: kept; one changing a file they read: run again
    assert declared == every
    assert declared  # the promise in patch 1 is kept nowhere: the packs have something to say


def test_a_patch_naming_a_flag_or_a_named_file_is_relevant(tmp_path: Path) -> None:
    mbox = tmp_path / "series.mbox"
    mbox.write_text(FIRST + "\n" + UNRELATED)
    series = load_series(str(mbox))
    packs = load_packs()[0]
    assert packs.relevant_patch(series, 1)  # adds VM_SCRATCH to a line
    assert not packs.relevant_patch(series, 2)


def test_recording_tree_knows_what_was_read() -> None:
    tree = RecordingTree(DirectoryTree(TREE))
    assert tree.read_bytes("mm/ksm.c") is not None
    assert tree.read_bytes("mm/absent.c") is None
    assert list(tree.list_files("kernel"))
    assert tree.touched_by(frozenset({"mm/absent.c"}))  # a file that appears is a change too
    assert tree.touched_by(frozenset({"kernel/new.c"}))  # inside a listed directory
    assert not tree.touched_by(frozenset({"Documentation/x.txt", "kernelx/y.c"}))
