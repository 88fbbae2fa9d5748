"""--fuzz N: a hunk may ignore up to N lines of leading and trailing context, never its changed lines, as
GNU patch does; and the reversed series that tells whether a series is already applied."""

from __future__ import annotations

import pytest

from patchcheck.errors import InputError
from patchcheck.intake.apply import apply_series
from patchcheck.intake.assemble import assemble
from patchcheck.intake.mail import Mail
from patchcheck.intake.reverse import reversed_series
from patchcheck.intake.series import Series
from patchcheck.source.tree import EmptyTree, OverlayTree, read_text

FILE = "".join(f"line {n}\n" for n in range(1, 21))


def series(hunk: str) -> Series:
    body = f"A change.\n---\ndiff --git a/f.c b/f.c\n--- a/f.c\n+++ b/f.c\n{hunk}"
    return assemble([Mail(origin="m", subject="[PATCH] f: change", body=body)], source="m")


def tree(text: str = FILE) -> OverlayTree:
    return OverlayTree(EmptyTree(), {"f.c": text.encode()})


# Adds a line after "line 10": three lines of context each side.
HUNK = "@@ -8,6 +8,7 @@\n line 8\n line 9\n line 10\n+new\n line 11\n line 12\n line 13\n"


@pytest.mark.parametrize(
    ("drifted", "needed"),
    [
        ({8: "line 8 (changed)"}, 1),  # the first context line
        ({13: "line 13 (changed)"}, 1),  # the last one
        ({8: "x", 9: "y", 13: "z"}, 2),  # two leading lines and one trailing
    ],
)
def test_fuzz_ignores_outer_context_lines(drifted: dict[int, str], needed: int) -> None:
    lines = FILE.split("\n")
    for number, text in drifted.items():
        lines[number - 1] = text
    drifted_tree = tree("\n".join(lines))
    with pytest.raises(InputError, match="hunk #1"):
        apply_series(series(HUNK), drifted_tree)
    if needed > 1:
        with pytest.raises(InputError):
            apply_series(series(HUNK), drifted_tree, fuzz=needed - 1)
    (state,) = apply_series(series(HUNK), drifted_tree, fuzz=3)
    text = read_text(state.tree, "f.c") or ""
    assert text.split("\n")[10] == "new" and text.split("\n")[9] == lines[9]
    change = state.changes["f.c"]
    assert change.fuzzed == ((1, needed),)
    assert change.added_lines == (11,) and change.fuzz_at(11) == needed
    (said,) = state.fuzzed
    assert said.startswith(f"f.c: hunk #1 applied with fuzz {needed} (post-image lines ")


def test_fuzz_never_ignores_a_removed_line_or_the_context_next_to_the_change() -> None:
    removing = "@@ -9,5 +9,4 @@\n line 9\n line 10\n-line 11\n line 12\n line 13\n"
    for changed in ("line 11", "line 10"):  # the removed line itself, then the context beside it
        lines = FILE.replace(f"{changed}\n", f"{changed} (changed)\n")
        with pytest.raises(InputError):
            apply_series(series(removing), tree(lines), fuzz=1)


def test_fuzz_with_an_offset() -> None:
    moved = "".join(f"extra {n}\n" for n in range(5)) + FILE.replace("line 8\n", "line 8 (changed)\n")
    (state,) = apply_series(series(HUNK), tree(moved), fuzz=1)
    assert state.changes["f.c"].added_lines == (16,)


def test_a_reversed_series_undoes_it() -> None:
    forward = series(HUNK)
    (after,) = apply_series(forward, tree())
    (undone,) = apply_series(reversed_series(forward), after.tree)
    assert read_text(undone.tree, "f.c") == FILE
    with pytest.raises(InputError):  # not applied: the reversed series does not apply
        apply_series(reversed_series(forward), tree())


def test_fuzz_never_leaves_a_hunk_without_context() -> None:
    """With as much fuzz as the hunk has context, nothing would be checked: the hunk would apply wherever
    its line number points. At least one context line stays."""
    elsewhere = FILE.replace("line 8\n", "x\n").replace("line 9\n", "y\n").replace("line 10\n", "z\n")
    elsewhere = elsewhere.replace("line 11\n", "u\n").replace("line 12\n", "v\n").replace("line 13\n", "w\n")
    for fuzz in (3, 5):
        with pytest.raises(InputError, match="hunk #1"):
            apply_series(series(HUNK), tree(elsewhere), fuzz=fuzz)


def test_an_already_applied_series_is_said_to_be_so_not_fuzzed() -> None:
    from patchcheck.intake.resolve import resolve

    (state,) = apply_series(series(HUNK), tree())
    with pytest.raises(InputError) as raised:
        resolve(series(HUNK), state.tree)
    assert raised.value.message.endswith(
        "the series is already applied there: check it at the revision before it (--rev)"
    )
