"""Without a tree, PC202 decides what the hunks show: a new flag whose definition and smaps entry are both
guarded in the diff. Kconfig symbols are then free: a warning naming them; with the tree, an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchcheck.intake import load_series
from patchcheck.report.finding import Finding, Severity
from patchcheck.rules.engine import verify_series
from patchcheck.rules.registry import registry_checkers
from patchcheck.source.tree import DirectoryTree

REGISTRY = Path(__file__).resolve().parents[2] / "fixtures" / "registry"
SCENARIOS = {  # scenario -> (flag, the definition's symbol, the entry's symbol)
    "pc202-new-flag-guards-differ": ("VM_SCRATCH", "CONFIG_64BIT", "CONFIG_MEM_SOFT_DIRTY"),
    "pc202-new-arch-flag-guards-differ": ("VM_EPHEMERAL", "CONFIG_X86", "CONFIG_64BIT"),
}


def verify(text: str, tmp_path: Path, tree: Path | None = None) -> list[Finding]:
    path = tmp_path / "series.patch"
    path.write_text(text)
    report = verify_series(
        load_series(str(path)), DirectoryTree(tree) if tree else None, checkers=registry_checkers()
    )
    return [f for f in report.findings if f.rule_id == "PC202"]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_guards_that_differ_are_a_warning_naming_the_free_symbols(name: str, tmp_path: Path) -> None:
    flag, defined, named = SCENARIOS[name]
    found = verify((REGISTRY / f"{name}.patch").read_text(), tmp_path)
    assert len(found) == 2 and {f.flag for f in found} == {flag}
    assert all(f.severity is Severity.WARNING for f in found)
    assert all(defined in f.message and named in f.message for f in found)
    assert any('overwrites "rd"' in f.message for f in found)
    assert all(f.location and f.location.path == "fs/proc/task_mmu.c" for f in found)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_trees_kconfig_makes_it_an_error(name: str, tmp_path: Path) -> None:
    found = verify((REGISTRY / f"{name}.patch").read_text(), tmp_path, REGISTRY / "base")
    assert len(found) == 2 and all(f.severity is Severity.ERROR for f in found)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_same_guard_is_silent(name: str, tmp_path: Path) -> None:
    _, defined, named = SCENARIOS[name]
    text = (REGISTRY / f"{name}.patch").read_text()
    same = text.replace(f"+#ifdef {named}\n", f"+#if defined({defined})\n")
    assert same != text
    assert verify(same, tmp_path) == []


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_a_definition_whose_guard_the_hunk_does_not_show_is_not_decided(name: str, tmp_path: Path) -> None:
    """The hunk shows the #define but not the conditional around it (no top-level line in sight)."""
    flag, _, named = SCENARIOS[name]
    text = (REGISTRY / f"{name}.patch").read_text()
    head = text.split("diff --git a/fs/proc/task_mmu.c", 1)[0].split("diff --git", 1)[0]
    body = (
        "diff --git a/include/linux/mm.h b/include/linux/mm.h\n--- a/include/linux/mm.h\n"
        "+++ b/include/linux/mm.h\n@@ -50,3 +50,4 @@\n # define VM_SHADOW_STACK\tVM_HIGH_ARCH_5\n"
        f" # define VM_PAT\tVM_ARCH_1\n+# define {flag}\tBIT(43)\n # define VM_SAO\tVM_ARCH_1\n"
        "diff --git a/fs/proc/task_mmu.c" + text.split("diff --git a/fs/proc/task_mmu.c", 1)[1]
    )
    assert named in body
    assert verify(head + body, tmp_path) == []


def test_an_existing_flag_is_not_decided_from_its_visible_definitions(tmp_path: Path) -> None:
    """VM_DROPPABLE's other definitions and entries may be anywhere the hunks do not show."""
    text = (REGISTRY / "pc202-ppc32-guard-mismatch.patch").read_text()
    assert verify(text, tmp_path) == []


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_enum_style_is_decided_alike(name: str, tmp_path: Path) -> None:
    """Style B: the hunks show `DECLARE_VMA_BIT(X, n)` and `VM_X INIT_VM_FLAG(X)` under its guard."""
    flag, defined, named = SCENARIOS[name]
    twin = (REGISTRY / "style-b" / f"{name}.patch").read_text()
    smaps = (REGISTRY / f"{name}.patch").read_text().split("diff --git a/fs/proc/task_mmu.c", 1)[1]
    found = verify(twin + "diff --git a/fs/proc/task_mmu.c" + smaps, tmp_path)
    assert len(found) == 2 and {f.flag for f in found} == {flag}
    assert all(f.severity is Severity.WARNING and defined in f.message and named in f.message for f in found)
