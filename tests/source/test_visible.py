"""Lines whose guard the diff hunks decide."""

from __future__ import annotations

from patchcheck.source.visible import decidable_lines


def core(line: str) -> bool:
    return "VM_READ" in line or "VM_DONTDUMP" in line


def decide(text: str, shown: range | list[int]) -> set[int]:
    return decidable_lines(text.split("\n"), list(shown), core)


def test_a_block_after_an_anchor_is_decided() -> None:
    text = "#define VM_DONTDUMP 1\n\n#ifdef CONFIG_A\n#define VM_FOO 2\n#else\n#define VM_FOO 0\n#endif"
    assert decide(text, range(1, 8)) == set(range(1, 8))


def test_without_anchor_or_closing_endif_nothing_is_decided() -> None:
    text = "#define VM_X 1\n#define VM_FOO 2\n#define VM_Y 4"
    assert decide(text, range(1, 4)) == set()


def test_lines_after_an_endif_of_an_unseen_block_are_decided_those_before_are_not() -> None:
    text = "# define VM_S 0\n#endif\n\n#ifdef CONFIG_A\n# define VM_FOO 1\n#endif\n"
    assert decide(text, range(1, 7)) == {3, 4, 5, 6}


def test_an_else_of_an_unseen_conditional_makes_the_lines_around_it_unknown() -> None:
    text = "#define VM_READ 1\n# define VM_PAT 2\n#elif defined(CONFIG_PPC)\n# define VM_FOO 2"
    assert decide(text, range(1, 5)) == set()


def test_a_conditional_left_open_at_the_end_of_the_hunk_is_not_decided() -> None:
    text = "#endif\n#ifdef CONFIG_A\n#define VM_FOO 1\n#define VM_BAR 2\n"
    assert decide(text, range(1, 5)) == set()
    text = "#endif\n#define VM_BAZ 1\n#ifdef CONFIG_A\n#define VM_FOO 1\n"
    assert decide(text, range(1, 5)) == {2}


def test_separate_hunks_are_judged_separately() -> None:
    text = "#define VM_READ 1\n#define VM_FOO 2\n\n\n#define VM_BAR 4\n"
    assert decide(text, [1, 2, 5]) == {1, 2}
