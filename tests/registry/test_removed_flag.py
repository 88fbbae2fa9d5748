"""PC101 on a removal: a series that removes a flag's every definition while code it never touched still
uses the flag breaks the build there. Both declaration styles, two flags."""

from __future__ import annotations

import re

import pytest

from patchcheck.report.finding import Finding, Severity
from patchcheck.rules.engine import verify_states
from patchcheck.rules.registry import registry_checkers
from patchcheck.source.tree import DirectoryTree, OverlayTree, SourceTree, read_text
from tests.registry.conftest import REGISTRY, base_tree

MM_H = "include/linux/mm.h"
USES = {"VM_SEALED": "mm/seal.c", "VM_DROPPABLE": "mm/memory.c"}


def without(tree: SourceTree, flag: str) -> str:
    """mm.h with every line that defines or declares `flag` (and its _BIT) removed, in either style."""
    text = read_text(tree, MM_H)
    assert text is not None
    short = flag.removeprefix("VM_")
    defining = re.compile(
        rf"^\s*#\s*define\s+{flag}(_BIT)?\b.*$|^\s*DECLARE_VMA_BIT(_ALIAS)?\(\s*{short}\s*,.*$", re.M
    )
    kept, count = defining.subn("", text)
    assert count >= 1
    return kept


def findings(flag: str, style: str, text: str) -> list[Finding]:
    before = base_tree(style)
    after = OverlayTree(DirectoryTree(REGISTRY / "base"), {MM_H: text.encode()})
    report = verify_states([before, after], checkers=registry_checkers())
    return [f for f in report.findings if f.flag == flag]


@pytest.mark.parametrize("style", ["A", "B"])
@pytest.mark.parametrize("flag", sorted(USES))
def test_removing_a_flag_that_is_still_used_is_an_error_at_each_use(flag: str, style: str) -> None:
    found = [f for f in findings(flag, style, without(base_tree(style), flag)) if f.rule_id == "PC101"]
    # The file that tests the flag, and the smaps entry the series left behind.
    assert sorted((f.severity, f.location and f.location.path) for f in found) == sorted(
        [(Severity.ERROR, USES[flag]), (Severity.ERROR, "fs/proc/task_mmu.c")]
    )
    assert "removes its every definition" in found[0].message and flag in (found[0].hint or "")


@pytest.mark.parametrize("style", ["A", "B"])
@pytest.mark.parametrize("flag", sorted(USES))
def test_a_flag_kept_as_vm_none_is_not_reported(flag: str, style: str) -> None:
    """Keeping the name (VM_NONE where it no longer exists) leaves every use compiling."""
    text = without(base_tree(style), flag) + f"\n#define {flag}\tVM_NONE\n"
    assert [f for f in findings(flag, style, text) if f.rule_id == "PC101"] == []
