"""The verify mode: findings the series introduced, with the patch that did; non-bisectable series;
without a tree, the diffs alone."""

from __future__ import annotations

from pathlib import Path

from patchcheck.report.finding import Severity
from patchcheck.rules.base import CheckContext
from patchcheck.rules.engine import diff_only_states, run_checkers, verify_states
from patchcheck.rules.registry import registry_checkers
from patchcheck.source.tree import OverlayTree
from tests.conftest import REPO
from tests.intake.helpers import seed_mail
from tests.registry.conftest import REGISTRY, scenario_tree


def _states(*names: str) -> list:
    return [scenario_tree(n) for n in names]


def test_reports_only_what_the_series_introduced_with_its_patch() -> None:
    report = verify_states(
        _states("base", "base", "pc202-ppc32-guard-mismatch"), checkers=registry_checkers()
    )
    assert [(f.rule_id, f.patch) for f in report.findings] == [("PC202", 2)]


def test_findings_already_in_the_tree_are_not_reported() -> None:
    before = scenario_tree("pc401-mnemonic-undocumented")
    text = (
        (REGISTRY / "base" / "include/linux/mm.h")
        .read_bytes()
        .replace(b"extern unsigned long vm_total;", b"extern unsigned long vm_total_pages;")
    )
    after = OverlayTree(before, {"include/linux/mm.h": text})
    report = verify_states([before, after], checkers=registry_checkers())
    assert report.findings == []


def test_a_finding_that_only_moved_is_the_same_finding() -> None:
    before = scenario_tree("pc401-mnemonic-undocumented")
    path = "fs/proc/task_mmu.c"
    moved = b"// a new first line\n" + (REGISTRY / "base" / path).read_bytes()
    after = OverlayTree(before, {path: moved})
    assert verify_states([before, after], checkers=registry_checkers()).findings == []


def test_non_bisectable_series_is_consistent_only_after_patch_k() -> None:
    report = verify_states(
        _states("base", "pc401-mnemonic-undocumented", "pc401-mnemonic-undocumented", "base"),
        checkers=registry_checkers(),
    )
    (finding,) = report.findings
    assert finding.rule_id == "PC001" and finding.severity is Severity.WARNING
    assert finding.message == (
        "patch 1 leaves gaps that only patch 3 of 3 fills: the commits in between are inconsistent"
    )
    assert finding.patch == 1
    assert any("PC401" in e and "after patch 2" in e for e in finding.evidence)


def test_without_tree_only_diff_only_rules_run_and_the_rest_are_listed() -> None:
    ctx = CheckContext(tree=scenario_tree("pc202-ppc32-guard-mismatch"))
    report = run_checkers(registry_checkers(), ctx, diff_only=True)
    diff_only = {d.id for c in registry_checkers() for d in c.rules if d.diff_only}
    assert {f.rule_id for f in report.findings} <= diff_only
    assert any(s.startswith("PC201 ") and "--tree" in s for s in report.skipped)
    assert not any(s.startswith(("PC401 ", "PC202 ")) for s in report.skipped)


def test_seed_mail_without_tree() -> None:
    """The v16 1/5 patch alone: "dp" added without proc.rst, and the NEED_VM_DROPPABLE helper that gates a
    high bit, is not restricted to 64-bit and is selected by nothing the series shows."""
    from patchcheck.intake import load_series

    series = load_series(str(seed_mail()))
    report = verify_states(
        diff_only_states(series), diff_only=True, series=series, checkers=registry_checkers()
    )
    got = {(f.rule_id, f.location.path if f.location else None, f.patch) for f in report.findings}
    assert got == {
        ("PC401", "fs/proc/task_mmu.c", 1),
        ("PC503", "mm/Kconfig", 1),
        ("PC504", "mm/Kconfig", 1),
    }
    pc503 = next(f for f in report.findings if f.rule_id == "PC503")
    assert "NEED_VM_DROPPABLE" in pc503.message and "series shows" in pc503.message
    # 4 of the 5 patches are absent: one of them may select the symbol, so this is no error.
    assert pc503.severity is Severity.WARNING and "unless a missing patch does" in pc503.message
    assert any("4 of 5 patches absent" in e for e in pc503.evidence)
    # Without a tree proc.rst is unknown: the series adds "dp" and none of its patches present documents it.
    pc401 = next(f for f in report.findings if f.rule_id == "PC401")
    assert pc401.message == 'mnemonic "dp" of VM_DROPPABLE is added without a proc.rst line'
    assert '"dp": no patch present adds it to proc.rst' in pc401.evidence
    assert pc401.hint is not None and "`    dp    <description>`" in pc401.hint


def test_verify_series_without_a_tree_is_the_diff_only_mode() -> None:
    from patchcheck.intake import load_series
    from patchcheck.rules.engine import verify_series

    series = load_series(str(seed_mail()))
    report = verify_series(series, None, checkers=registry_checkers())
    assert {f.rule_id for f in report.findings} == {"PC401", "PC503", "PC504"}
    assert any(s.startswith("PC201 ") for s in report.skipped)


def test_diff_parts_that_could_not_be_read_are_noted_not_silently_clean(tmp_path: Path) -> None:
    """A hunk shorter than its header says is not checked: the report says so, with and without a tree."""
    from patchcheck.intake import load_series
    from patchcheck.rules.engine import verify_series
    from patchcheck.source.tree import DirectoryTree

    mail = tmp_path / "short-hunk.patch"
    mail.write_text(
        "From: A <a@example.org>\nSubject: [PATCH] mm: short hunk\n\nbody\n---\n"
        "diff --git a/include/linux/mm.h b/include/linux/mm.h\n--- a/include/linux/mm.h\n"
        "+++ b/include/linux/mm.h\n@@ -20,3 +20,4 @@\n+#define VM_X 0x1\n"
    )
    series = load_series(str(mail))
    for tree in (None, DirectoryTree(REPO / "fixtures" / "example" / "tree")):
        report = verify_series(series, tree)
        assert report.findings == []
        assert any(
            "mm: short hunk" in n and "not checked" in n and "include/linux/mm.h" in n for n in report.notes
        ), report.notes
