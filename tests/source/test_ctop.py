"""Function definitions located by counting braces (patchcheck.source.ctop), and what csrc makes of them."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from patchcheck.source import csrc, ctop
from patchcheck.source.ctop import top_level_blocks


def _blocks(text: str) -> list[tuple[int, tuple[str, ...]]]:
    found = top_level_blocks(csrc.CSource(text.encode()).masked)
    assert found is not None
    return [(b.row + 1, b.names) for b in found]


def test_functions_are_found_and_tables_are_not() -> None:
    text = (
        "static const struct ops table = {\n"  # 1: an initializer: no `(` in its head
        "\t.open = do_open,\n"
        "};\n"
        "struct shape { int sides; };\n"  # 4
        "static int __init setup(void)\n"  # 5
        "{\n"
        "\treturn 0;\n"
        "}\n"
        "SYSCALL_DEFINE1(drop, unsigned long, addr)\n"  # 9
        "{ return addr; }\n"
    )
    assert _blocks(text) == [(5, ("setup",)), (9, ("SYSCALL_DEFINE1",))]


def test_braces_in_literals_comments_and_directives_do_not_count() -> None:
    text = (
        "#define OPEN {\n"
        "/* } */\n"
        "static char brace(void)\n"  # 3
        "{\n"
        '\tputs("}");\n'
        "\treturn '}';\n"
        "}\n"
        "static void after(void) { }\n"  # 8
    )
    assert _blocks(text) == [(3, ("brace",)), (8, ("after",))]


def test_a_head_starts_after_the_previous_declaration() -> None:
    text = (
        "extern int __printf(2, 3) log_it(const char *fmt, ...);\n"
        "static long delta(unsigned long at)\n"  # 2: not the prototype's line
        "{\n"
        "\treturn at;\n"
        "}\n"
    )
    assert _blocks(text) == [(2, ("delta",))]


def test_unbalanced_branches_give_no_blocks_and_tree_sitter_reads_the_whole_file() -> None:
    text = (
        "#ifdef CONFIG_PPC32\n"
        "static int pick(int a) {\n"
        "#else\n"
        "static int pick(int a, int b) {\n"
        "#endif\n"
        "\treturn a;\n"
        "}\n"
        "static int after(void)\n"
        "{\n"
        "\treturn 1;\n"
        "}\n"
    )
    src = csrc.CSource(text.encode())
    assert top_level_blocks(src.masked) is None
    assert src.index == {"pick": [(20, 140, 1)]}  # tree-sitter's reading: one function, to the end
    assert [f.line for f in src.functions("pick")] == [2]


def test_an_error_in_one_function_does_not_hide_the_next() -> None:
    # A loop macro without braces confuses a whole-file parse, which then misses or misnames the function
    # that follows; each block parsed on its own does not.
    text = (
        "unsigned int count_running(void)\n"
        "{\n"
        "\tunsigned int i, sum = 0;\n"
        "\n"
        "\tfor_each_online_cpu(i)\n"
        "\t\tsum += cpu_rq(i)->nr_running;\n"
        "\n"
        "\treturn sum;\n"
        "}\n"
        "\n"
        "static int drop_test(struct vm_area_struct *vma)\n"  # 11
        "{\n"
        "\treturn vma->vm_flags & VM_DROPPABLE;\n"
        "}\n"
    )
    src = csrc.CSource(text.encode())
    assert [(f.name, f.line) for f in src.functions_mentioning(["VM_DROPPABLE"])] == [("drop_test", 11)]
    assert [f.line for f in src.functions("count_running")] == [1]


def test_a_function_under_if_0_is_not_compiled() -> None:
    text = "#if 0\nstatic int old(void)\n{\n\treturn 0;\n}\n#endif\nstatic int new(void) { return 1; }\n"
    src = csrc.CSource(text.encode())
    assert src.functions("old") == []
    assert [f.line for f in src.functions("new")] == [7]


def test_a_head_that_begins_with_an_attribute_macro_is_found() -> None:
    # tree-sitter cannot parse `static __printf(2, 3) int f(...)` on its own: the macro call is blanked and
    # the block parsed again (the whole-file parse found such functions only when its context allowed)
    text = (
        "static int before(void) { return 0; }\n"
        "static __printf(2, 3) int cn_printf(struct core_name *cn, const char *fmt, ...)\n"  # 2
        "{\n"
        "\treturn cn->used & VM_DROPPABLE;\n"
        "}\n"
        "static __printf(1, 2) __cold\n"  # 6
        "void slab_err(const char *fmt, ...)\n"
        "{\n"
        "}\n"
    )
    src = csrc.CSource(text.encode())
    assert [(f.name, f.line) for f in src.functions("cn_printf")] == [("cn_printf", 2)]
    assert [(f.name, f.line) for f in src.functions_mentioning(["VM_DROPPABLE"])] == [("cn_printf", 2)]
    assert [(f.name, f.line) for f in src.functions("slab_err")] == [("slab_err", 6)]


# The expression top_level_blocks scanned with before it began with a character set (which lets the regular
# expression engine skip to the next candidate byte): what it matches, the new one must match.
_ALTERNATION = re.compile(rb"[{}]|\"(?:\\.|[^\"\\\n])*\"?|'(?:\\.|[^'\\\n])*'?")


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([b"{", b"}", b'"', b"'", b"\\", b"\n", b"x", b" ", b"(", b";", b"{}"])))
@example([b'"', b"\\", b'"', b"{", b"'", b"}", b"\n", b"'"])
def test_the_scan_matches_the_braces_and_literals_the_alternation_matched(parts: list[bytes]) -> None:
    text = b"".join(parts)
    assert [m.span() for m in ctop._BRACE_OR_LITERAL.finditer(text)] == [
        m.span() for m in _ALTERNATION.finditer(text)
    ]


_CALLED_BEFORE = re.compile(rb"([A-Za-z_]\w*)\s*\(")
_HEAD_PIECES = [b"f", b"_", b"9", b"0x", b" ", b"\n", b"(", b")", b";", b"\xe9", b"a1", b"{", b"}"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_HEAD_PIECES)))
@example([b"9", b"f", b" ", b"(", b"{", b"}"])
def test_names_before_a_parenthesis_are_those_the_plain_expression_found(parts: list[bytes]) -> None:
    text = b"".join(parts)
    found = [(m.group(1).decode("latin-1"), m.start(), m.end()) for m in _CALLED_BEFORE.finditer(text)]
    assert list(ctop._calls(text)) == found
    blocks = top_level_blocks(text)
    # The plain expression finds no name that begins with a digit: it gives the blocks without `_DIGITS`.
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(ctop, "_CALLED", _CALLED_BEFORE)
        assert blocks == top_level_blocks(text)
