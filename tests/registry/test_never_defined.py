"""PC101, second case: a series uses a flag that nothing defines in any configuration."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from patchcheck.report.finding import Severity
from patchcheck.rules.engine import audit, verify_states
from patchcheck.rules.registry import registry_checkers
from patchcheck.source.tree import DirectoryTree, OverlayTree, SourceTree
from tests.registry.conftest import REGISTRY

BASE = REGISTRY / "base"
MEMORY = "mm/memory.c"


def _memory_with(extra: str) -> bytes:
    return (BASE / MEMORY).read_bytes() + extra.encode()


def _pc101(tree: SourceTree) -> list[tuple[str, int | None, str | None, Severity]]:
    report = audit(tree, checkers=registry_checkers())
    return [
        (f.location.path, f.location.line, f.flag, f.severity)
        for f in report.findings
        if f.rule_id == "PC101" and f.location
    ]


USE = "\nint vma_is_scratch(unsigned long vm_flags)\n{\n\treturn (vm_flags & VM_SCRATCH) != 0;\n}\n"


def test_a_flag_defined_nowhere_is_reported_where_the_series_uses_it() -> None:
    base = DirectoryTree(BASE)
    patched = OverlayTree(base, {MEMORY: _memory_with(USE)})
    line = _memory_with(USE).decode().split("\n").index("\treturn (vm_flags & VM_SCRATCH) != 0;") + 1
    assert _pc101(patched) == [(MEMORY, line, "VM_SCRATCH", Severity.ERROR)]
    report = verify_states([base, patched], checkers=registry_checkers())
    (found,) = report.findings
    assert found.rule_id == "PC101" and found.patch == 1
    assert "defined in no configuration" in found.message
    assert "VM_SCRATCH" in (found.hint or "")


def test_silent_once_mm_h_defines_it_with_a_fallback() -> None:
    mm_h = (BASE / "include/linux/mm.h").read_text()
    anchor = "#endif /* _LINUX_MM_H */"
    assert anchor in mm_h
    definition = (
        "#ifdef CONFIG_64BIT\n#define VM_SCRATCH BIT(41)\n#else\n#define VM_SCRATCH VM_NONE\n#endif\n"
    )
    defined = mm_h.replace(anchor, definition + anchor).encode()
    tree = OverlayTree(DirectoryTree(BASE), {MEMORY: _memory_with(USE), "include/linux/mm.h": defined})
    assert _pc101(tree) == []


@pytest.mark.parametrize(
    "extra, header",
    [
        # defined by another header of the tree (vmalloc-style flags share the prefix)
        ("\nint f(int x) { return x & VM_SCRATCH; }\n", "#define VM_SCRATCH 0x00000200\n"),
        # not flags: function-like macros, the VM_FAULT_* family, strings and comments
        ('\nint g(int x) { VM_BUG_ON(x); return VM_FAULT_OOM + sizeof("VM_NOPE"); /* VM_NOPE */ }\n', None),
        # an enumerator is a definition too
        ("\nenum { VM_LOCAL = 1 };\nint h(int x) { return x & VM_LOCAL; }\n", None),
    ],
)
def test_silent_for_names_defined_elsewhere_or_not_flags(extra: str, header: str | None) -> None:
    changes = {MEMORY: _memory_with(extra)}
    if header is not None:
        changes["include/linux/vmalloc.h"] = header.encode()
    assert _pc101(OverlayTree(DirectoryTree(BASE), changes)) == []


def test_names_the_file_used_before_are_not_judged_again(tmp_path: Path) -> None:
    """The tree before the series is audited as it is: only uses a patch adds are candidates."""
    root = tmp_path / "tree"
    shutil.copytree(BASE, root)
    (root / MEMORY).write_bytes(_memory_with(USE))
    base = DirectoryTree(root)
    assert _pc101(base) == []
    edited = (root / MEMORY).read_bytes() + b"\nint unrelated;\n"
    assert _pc101(OverlayTree(base, {MEMORY: edited})) == []


def test_unbuilt_files_and_dead_branches_are_silent() -> None:
    dead = "\n#if 0\nint z(unsigned long f) { return f & VM_SCRATCH; }\n#endif\n"
    assert _pc101(OverlayTree(DirectoryTree(BASE), {MEMORY: _memory_with(dead)})) == []
    unbuilt = {"mm/not_in_makefile.c": USE.encode()}
    assert _pc101(OverlayTree(DirectoryTree(BASE), unbuilt)) == []


@pytest.mark.realtree
def test_real_tree_series_that_forgets_the_definition(real_tree: Path, tmp_path: Path) -> None:
    """The VM_SCRATCH series of the packs bench without its mm.h hunk: every new use of VM_SCRATCH is
    named, and nothing else is reported under PC101 (the complete series verifies clean, see
    tests/packs/test_packs_realtree.py)."""
    from patchcheck.intake import load_series
    from patchcheck.rules.engine import verify_series
    from tests.packs.packs_series import build_series

    mbox, final = build_series(real_tree, leave_out="definition")
    (tmp_path / "series.mbox").write_text(mbox)
    report = verify_series(load_series(str(tmp_path / "series.mbox")), DirectoryTree(real_tree))
    pc101 = [f for f in report.findings if f.rule_id == "PC101"]
    assert {f.flag for f in pc101} == {"VM_SCRATCH"}
    where = {(f.location.path, f.patch) for f in pc101 if f.location}
    assert ("fs/proc/task_mmu.c", 1) in where and ("mm/mprotect.c", 3) in where and ("mm/rmap.c", 5) in where
    for f in pc101:
        assert f.location is not None and f.location.line
        assert "VM_SCRATCH" in final[f.location.path].decode().split("\n")[f.location.line - 1]


def test_a_definition_the_series_removes_no_longer_counts(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    shutil.copytree(BASE, root)
    header = "include/linux/vmalloc.h"
    (root / header).write_text("#define VM_SCRATCH 0x00000200\n")
    base = DirectoryTree(root)
    uses = OverlayTree(base, {MEMORY: _memory_with(USE)})
    removed = OverlayTree(base, {MEMORY: _memory_with(USE), header: b"/* moved away */\n"})
    assert _pc101(uses) == []
    report = verify_states([base, uses, removed], checkers=registry_checkers())
    assert [(f.rule_id, f.flag, f.patch) for f in report.findings] == [("PC101", "VM_SCRATCH", 2)]
