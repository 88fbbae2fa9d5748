"""Every registry rule gives the same answer on a style-B tree (flags declared by bit number:
DECLARE_VMA_BIT enum entries and INIT_VM_FLAG masks) as on its style-A twin (hex and BIT() defines).

fixtures/registry/style-b/mm.h is the base tree's mm.h in style B; each scenario that changes mm.h has a
style-B twin patch beside it. Findings are compared by rule, severity, flag, file and message; lines of
mm.h differ between the styles and are left out (lines in the other files must agree too), and so does
the way a guard is written in a message (style B guards the enumerator and the mask separately, so a
variant's guard reads `(CONFIG_64BIT || CONFIG_PPC32) && CONFIG_PPC32` where style A's `#elif` chain reads
`!CONFIG_64BIT && CONFIG_PPC32`): a guard in a message is compared as "<guard>".
"""

from __future__ import annotations

import re

import pytest

from patchcheck.report.finding import Finding
from patchcheck.rules import engine
from patchcheck.rules.registry import registry_checkers
from patchcheck.source.tree import SourceTree
from tests.registry.conftest import scenario_tree, scenarios

MM_H = "include/linux/mm.h"
_GUARD = re.compile(r"[!(\s]*CONFIG_\w+(?:[\s()&|!]+CONFIG_\w+)*\)*")


def answers(tree: SourceTree) -> list[tuple[str, str, str | None, str, int | None, str]]:
    report = engine.audit(tree, checkers=registry_checkers())
    return sorted(_answer(f) for f in report.findings) + [
        ("skipped", s, None, "", None, "") for s in report.skipped
    ]


def _answer(f: Finding) -> tuple[str, str, str | None, str, int | None, str]:
    path = f.location.path if f.location else ""
    line = f.location.line if f.location and path != MM_H else None
    message = _GUARD.sub("<guard>", re.sub(r"mm\.h:\d+", "mm.h:#", f.message))
    return f.rule_id, f.severity.value, f.flag, path, line, message


@pytest.mark.parametrize("name", ["base", *scenarios()])
def test_both_styles_give_the_same_answer(name: str) -> None:
    a = answers(scenario_tree(name, "A"))
    b = answers(scenario_tree(name, "B"))
    assert b == a


def test_the_twins_really_differ_in_style() -> None:
    """The style-B trees declare flags by bit number (no hex or BIT() masks): not a copy of style A."""
    for name in ["base", *scenarios()]:
        text = scenario_tree(name, "B").read_bytes(MM_H)
        assert text is not None and b"DECLARE_VMA_BIT(" in text and b"INIT_VM_FLAG(" in text
        assert not re.search(rb"#\s*define\s+VM_\w+\s+(0x|BIT\(|_BITUL)", text), name
