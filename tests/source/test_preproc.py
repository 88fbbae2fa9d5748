"""Guards of lines and #defines: nested conditionals, defined() of earlier macros, integer tests."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from patchcheck.source.guards import TRUE, Cmp, Opaque, Sym, conj, disj, neg, render
from patchcheck.source.ppexpr import eval_condition
from patchcheck.source.preproc import blank_comments, blank_comments_bytes, preprocess

NESTED = """\
#ifndef _GUARD_H
#define _GUARD_H
int always;
#if defined(CONFIG_A)
int a;
#elif defined(CONFIG_B)
# ifdef CONFIG_C
int b_and_c;
# else
int b_not_c;
# endif
#else
int neither;
#endif
/* #ifdef CONFIG_IN_COMMENT */
int after;
#endif
"""


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if needle in line)


def test_nested_if_elif_else_guards() -> None:
    pre = preprocess(NESTED)
    a, b, c = Sym("A"), Sym("B"), Sym("C")
    assert pre.guard_at(line_of(NESTED, "int always")) == TRUE  # include guard costs nothing
    assert pre.guard_at(line_of(NESTED, "int a;")) == a
    assert pre.guard_at(line_of(NESTED, "b_and_c")) == conj(neg(a), b, c)
    assert pre.guard_at(line_of(NESTED, "b_not_c")) == conj(neg(a), b, neg(c))
    assert pre.guard_at(line_of(NESTED, "neither")) == conj(neg(disj(a, b)))
    assert pre.guard_at(line_of(NESTED, "int after")) == TRUE


def test_ifndef_fallback_is_resolved_from_earlier_defines() -> None:
    text = """\
#if defined(CONFIG_PARISC)
# define VM_GROWSUP VM_ARCH_1
#endif
#ifndef VM_GROWSUP
# define VM_GROWSUP VM_NONE
#endif
#ifdef VM_FROM_ELSEWHERE
int x;
#endif
"""
    pre = preprocess(text)
    defs = pre.macros()["VM_GROWSUP"]
    assert [d.guard for d in defs] == [Sym("PARISC"), neg(Sym("PARISC"))]
    assert pre.guard_at(line_of(text, "int x")) == Opaque("defined(VM_FROM_ELSEWHERE)")


def test_condition_expressions() -> None:
    assert eval_condition("CONFIG_ARCH_PKEY_BITS > 3") == Cmp("ARCH_PKEY_BITS", ">", 3)
    assert eval_condition("4 < CONFIG_ARCH_PKEY_BITS") == Cmp("ARCH_PKEY_BITS", ">", 4)
    assert eval_condition("defined(CONFIG_64BIT) || defined CONFIG_PPC32") == disj(Sym("64BIT"), Sym("PPC32"))
    assert eval_condition("IS_ENABLED(CONFIG_X) && !IS_ENABLED(CONFIG_Y)") == conj(Sym("X"), neg(Sym("Y")))
    assert eval_condition("VM_PKEY_BIT3") == Opaque("VM_PKEY_BIT3")
    assert eval_condition("1 + 1 == 2") == TRUE
    assert eval_condition("0 && CONFIG_X") != TRUE
    text = "(CONFIG_A || CONFIG_B) && !CONFIG_C"
    assert render(eval_condition(text)) == text
    assert isinstance(eval_condition("FOO(1"), Opaque)  # malformed: opaque, never an exception


def test_multiline_directive_and_define_body_lines() -> None:
    text = (
        "#if defined(CONFIG_A) && \\\n    defined(CONFIG_B)\n"
        '#define TABLE \\\n\t{1, "one"}, \\\n\t{2, "two"}\nint t;\n#endif\n'
    )
    pre = preprocess(text)
    assert pre.guard_at(6) == conj(Sym("A"), Sym("B"))
    table = pre.macros()["TABLE"][0]
    assert table.body_line == 4
    assert table.body.split("\n")[0].strip() == '{1, "one"},'
    assert pre.masked.split("\n")[0].strip() == ""  # directives blanked, line count kept
    assert len(pre.masked.split("\n")) == len(text.split("\n"))


def test_blank_comments_keeps_offsets_and_strings() -> None:
    text = 'a /* x\n y */ b // c\n"/* not a comment */"'
    out = blank_comments(text)
    assert len(out) == len(text)
    assert out.count("\n") == 2
    assert "x" not in out.split("\n")[0]
    assert '"/* not a comment */"' in out


def _reference_blank_comments(text: str) -> str:
    """The character-by-character scan blank_comments replaced: the regular expression must agree with it."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "/" and i + 1 < n and text[i + 1] == "*":
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
        elif c == "/" and i + 1 < n and text[i + 1] == "/":
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
            i = end
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        else:
            j = i
            while j < n and text[j] not in "/\"'":
                j += 1
            if j == i:
                j += 1
            out.append(text[i:j])
            i = j
    return "".join(out)


@given(st.text(alphabet="/*\"'\\\nab \t", max_size=60))
@settings(max_examples=400, deadline=None)
def test_blank_comments_agrees_with_the_character_scan(text: str) -> None:
    assert blank_comments(text) == _reference_blank_comments(text)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from([b"/", b"*", b'"', b"'", b"\\", b"\n", b"x", b" ", b"\xe9", b"//", b"/*", b"*/"])
    )
)
def test_comments_are_blanked_in_bytes_as_in_their_latin_1_text(parts: list[bytes]) -> None:
    data = b"".join(parts)
    assert blank_comments_bytes(data).decode("latin-1") == blank_comments(data.decode("latin-1"))


def _redefined_block_after_block(blocks: int) -> str:
    """A header that picks one CPU name among many, as arch headers do: each block defines NAME unless an
    earlier one did, and then marks that there are several. Each block's condition names the formula of the
    one before (twice): unbounded, its size doubles with each block."""
    lines: list[str] = []
    for i in range(blocks):
        lines += [f"#ifdef CONFIG_CPU_{i}", "# ifdef NAME", "#  undef SEVERAL", "#  define SEVERAL", "# else"]
        lines += [f"#  define NAME cpu_{i}", "# endif", "#endif"]
    lines += ["#ifdef SEVERAL", "int several;", "#endif", "#ifdef NAME", "int one;", "#endif", ""]
    return "\n".join(lines)


def _nodes(formula: object) -> int:
    from patchcheck.source.guards import And, Not, Or

    count, stack = 0, [formula]
    while stack:
        node = stack.pop()
        count += 1
        if isinstance(node, And | Or):
            stack.extend(node.args)
        elif isinstance(node, Not):
            stack.append(node.arg)
    return count


def test_a_macro_defined_block_after_block_keeps_its_formulas_small() -> None:
    # 40 blocks took longer than anyone waits (the formulas of NAME and SEVERAL grew as 2^blocks)
    pre = preprocess(_redefined_block_after_block(40))
    largest = max(_nodes(guard) for guard in pre.line_guards)
    twice = preprocess(_redefined_block_after_block(80))
    assert largest < 4096 and max(_nodes(guard) for guard in twice.line_guards) <= largest  # bounded
    one = pre.line_guards[pre.masked.split("\n").index("int one;") + 1]
    assert "NAME" in render(one)  # past the bound, "is NAME defined here" is left open, not decided
    few = preprocess(_redefined_block_after_block(2))  # within the bound: exact, as before
    assert render(few.line_guards[few.masked.split("\n").index("int one;") + 1]) == (
        "CONFIG_CPU_0 && ![defined(NAME)] || CONFIG_CPU_1 && !(CONFIG_CPU_0 && ![defined(NAME)])"
    )
