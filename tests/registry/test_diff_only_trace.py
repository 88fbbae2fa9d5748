"""Without a tree, PC301 decides what the hunks show: a new flag's trace entry compiled where the flag is
VM_NONE (every VMA would be printed with its name). Free Kconfig symbols: a warning; with the tree, an
error."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchcheck.intake import load_series
from patchcheck.report.finding import Finding, Severity
from patchcheck.rules.engine import verify_series
from patchcheck.rules.registry import registry_checkers
from patchcheck.source.tree import DirectoryTree

BASE = Path(__file__).resolve().parents[2] / "fixtures" / "registry" / "base"
FLAGS = {"VM_SCRATCH": "scratch", "VM_EPHEMERAL": "ephemeral"}


def series(flag: str, *, wrapped: bool) -> str:
    name = FLAGS[flag]
    wrapper = (
        "@@ -37,6 +37,12 @@\n #else\n # define IF_HAVE_VM_SEALED(flag, name)\n #endif\n"
        f"+\n+#ifdef CONFIG_64BIT\n+# define IF_HAVE_{flag}(flag, name) {{flag, name}},\n+#else\n"
        f"+# define IF_HAVE_{flag}(flag, name)\n+#endif\n \n #define __def_vmaflag_names\t\t\t\t\t\t\\\n"
        ' \t{VM_READ,\t\t\t"read"\t\t},\t\t\\\n'
    )
    entry = (
        f'+IF_HAVE_{flag}({flag},\t"{name}"\t)\t\t\\\n'
        if wrapped
        else f'+\t{{{flag},\t\t"{name}"\t}},\t\t\\\n'
    )
    shift = 6 if wrapped else 0
    return (
        "From: Pat <pat@example.org>\nSubject: [PATCH] mm: add a flag\n\nAdd it.\n---\n"
        "diff --git a/include/linux/mm.h b/include/linux/mm.h\n"
        "--- a/include/linux/mm.h\n+++ b/include/linux/mm.h\n"
        "@@ -17,4 +17,10 @@\n #define VM_LOCKED\t0x00002000\n"
        " #define VM_ARCH_1\t0x01000000\t/* lent to one flag per architecture */\n"
        " #define VM_DONTDUMP\t0x04000000\n"
        f"+#ifdef CONFIG_64BIT\n+# define {flag}\tBIT(44)\n+#else\n+# define {flag}\tVM_NONE\n+#endif\n+\n \n"
        "diff --git a/include/trace/events/mmflags.h b/include/trace/events/mmflags.h\n"
        "--- a/include/trace/events/mmflags.h\n+++ b/include/trace/events/mmflags.h\n"
        + (wrapper if wrapped else "")
        + f"@@ -48,3 +{48 + shift},4 @@\n \t__VM_ARCH_SPECIFIC_1\t\t\t\t,\t\t\\\n"
        ' \t{VM_DONTDUMP,\t\t\t"dontdump"\t},\t\t\\\n'
        + entry
        + 'IF_HAVE_VM_SOFTDIRTY(VM_SOFTDIRTY,\t"softdirty"\t)\t\t\\\n'.join([" ", ""])
    )


def pc301(text: str, tmp_path: Path, tree: bool = False) -> list[Finding]:
    (tmp_path / "p.patch").write_text(text)
    report = verify_series(
        load_series(str(tmp_path / "p.patch")),
        DirectoryTree(BASE) if tree else None,
        checkers=registry_checkers(),
    )
    return [f for f in report.findings if f.rule_id == "PC301"]


@pytest.mark.parametrize("flag", sorted(FLAGS))
def test_an_unwrapped_entry_of_a_sometimes_zero_flag(flag: str, tmp_path: Path) -> None:
    (found,) = pc301(series(flag, wrapped=False), tmp_path)
    assert found.severity is Severity.WARNING and found.flag == flag
    assert "is 0" in found.message and "CONFIG_64BIT" in found.message
    (with_tree,) = pc301(series(flag, wrapped=False), tmp_path, tree=True)
    assert with_tree.severity is Severity.ERROR


@pytest.mark.parametrize("flag", sorted(FLAGS))
def test_an_entry_wrapped_like_the_definition_is_silent(flag: str, tmp_path: Path) -> None:
    assert pc301(series(flag, wrapped=True), tmp_path) == []
    assert pc301(series(flag, wrapped=True), tmp_path, tree=True) == []
