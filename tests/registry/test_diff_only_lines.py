"""Without a tree, findings point at the line of the patched file (from the hunk headers), not at a line
of the hunks' joined text."""

from __future__ import annotations

from pathlib import Path

from patchcheck.intake import load_series
from patchcheck.rules.engine import diff_only_states, verify_series
from patchcheck.rules.registry import registry_checkers
from patchcheck.source.tree import read_text
from tests.intake.helpers import seed_mail

TWO_PATCHES = """\
From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: A Developer <dev@example.org>
Subject: [PATCH 1/2] demo: add a table entry

---
 lib/demo.c | 2 ++
 1 file changed, 2 insertions(+)

diff --git a/lib/demo.c b/lib/demo.c
--- a/lib/demo.c
+++ b/lib/demo.c
@@ -40,3 +40,5 @@ static const char *names[] = {
 \t"one",
 \t"two",
+\t"three",
+\t"four",
 };
--
2.43.0

From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: A Developer <dev@example.org>
Subject: [PATCH 2/2] demo: add a header comment

---
 lib/demo.c | 3 +++
 1 file changed, 3 insertions(+)

diff --git a/lib/demo.c b/lib/demo.c
--- a/lib/demo.c
+++ b/lib/demo.c
@@ -10,2 +10,5 @@
 #include <demo.h>
+/*
+ * Demo names.
+ */
 static int demo;
--
2.43.0
"""


def test_lines_sit_at_their_line_numbers_and_move_with_later_patches(tmp_path: Path) -> None:
    mbox = tmp_path / "series.mbox"
    mbox.write_text(TWO_PATCHES)
    before, first, second = diff_only_states(load_series(str(mbox)))
    old = (read_text(before, "lib/demo.c") or "").split("\n")
    assert old[40 - 1 : 43] == ['\t"one",', '\t"two",', "};"]
    one = (read_text(first, "lib/demo.c") or "").split("\n")
    assert one[42 - 1] == '\t"three",' and one[44 - 1] == "};"
    two = (read_text(second, "lib/demo.c") or "").split("\n")
    assert two[10 - 1 : 14] == ["#include <demo.h>", "/*", " * Demo names.", " */", "static int demo;"]
    # patch 2 added three lines above patch 1's hunk: its lines moved down by three
    assert two[45 - 1] == '\t"three",' and two[47 - 1] == "};"
    assert two[40 - 1] == ""  # not shown by any hunk


def test_seed_findings_name_the_lines_of_the_patched_files() -> None:
    series = load_series(str(seed_mail()))
    report = verify_series(series, None, checkers=registry_checkers())
    where = {(f.rule_id, f.location.path, f.location.line) for f in report.findings if f.location}
    assert where == {
        ("PC401", "fs/proc/task_mmu.c", 711),
        ("PC503", "mm/Kconfig", 1059),
        ("PC504", "mm/Kconfig", 1059),
    }
    after = diff_only_states(series)[-1]
    assert '[ilog2(VM_DROPPABLE)] = "dp"' in (read_text(after, "fs/proc/task_mmu.c") or "").split("\n")[710]
    assert (read_text(after, "mm/Kconfig") or "").split("\n")[1058] == "config NEED_VM_DROPPABLE"
