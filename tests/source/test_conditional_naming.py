"""preproc.conditional_naming: the `#if` line that puts a symbol into a line's guard (where PC501 points)."""

from __future__ import annotations

from patchcheck.source.preproc import conditional_naming

TEXT = """\
#ifdef CONFIG_FOO
int closed_block;
#endif
/* CONFIG_BAR in a comment is not a conditional */
#if defined(CONFIG_X86)
int x86;
#elif defined(CONFIG_BAR) && \\
	defined(CONFIG_64BIT)
#ifdef CONFIG_FOO
int inner;
#endif
int bar_branch;
#else
int other;
#endif
#ifdef CONFIG_BAZ
#define IF_HAVE_BAZ(flag, name) {flag, name},
#endif
IF_HAVE_BAZ(VM_BAZ, "baz")
"""


def line_of(text: str) -> int:
    return TEXT.split("\n").index(text) + 1


def test_the_innermost_enclosing_conditional_that_names_it() -> None:
    assert conditional_naming(TEXT, line_of("int inner;"), "CONFIG_FOO") == 9
    assert conditional_naming(TEXT, line_of("int inner;"), "CONFIG_BAR") == 7


def test_an_elif_or_else_branch_reaches_its_chain() -> None:
    assert conditional_naming(TEXT, line_of("int bar_branch;"), "CONFIG_64BIT") == 7  # a continued line
    assert conditional_naming(TEXT, line_of("int other;"), "CONFIG_X86") == 5


def test_closed_blocks_and_comments_are_not_conditionals_of_the_line() -> None:
    assert conditional_naming(TEXT, line_of("int bar_branch;"), "CONFIG_FOO") is None
    assert conditional_naming(TEXT, line_of("int x86;"), "CONFIG_BAR") is None


def test_a_macro_the_line_uses_brings_its_definitions_conditional() -> None:
    assert conditional_naming(TEXT, line_of('IF_HAVE_BAZ(VM_BAZ, "baz")'), "CONFIG_BAZ") == 16
    assert conditional_naming(TEXT, line_of('IF_HAVE_BAZ(VM_BAZ, "baz")'), "CONFIG_FOO") is None
