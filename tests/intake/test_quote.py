"""Recovering quoted patches, including the web-archive mangling of the seed mail."""

from __future__ import annotations

from patchcheck.intake.assemble import load_series
from patchcheck.intake.diff import Diffstat, parse_diff, split_body
from patchcheck.intake.quote import recover_quoted_patch, unquote

from .helpers import EXAMPLE_SERIES, MAIL, seed_mail


def test_seed_reads_as_patch_1_of_5_of_v16_with_the_mails_own_diffstat() -> None:
    series = load_series(str(seed_mail()))
    assert series.revision == 16 and series.expected == 5
    (patch,) = series.patches
    assert patch.label == "1/5" and patch.reconstructed_from_quote
    assert series.missing == [2, 3, 4, 5]
    assert series.missing_summary() == "4 of 5 patches absent: 2/5, 3/5, 4/5, 5/5"
    assert series.diffstat == Diffstat(8, 34, 4)
    assert patch.claimed_diffstat == Diffstat(8, 34, 4)
    assert [f.path for f in patch.files] == [
        "fs/proc/task_mmu.c",
        "include/linux/mm.h",
        "include/trace/events/mmflags.h",
        "mm/Kconfig",
        "mm/memory.c",
        "mm/mempolicy.c",
        "mm/mprotect.c",
        "mm/rmap.c",
    ]
    assert [(f.added, f.removed) for f in patch.files] == [
        (3, 0),
        (8, 0),
        (7, 0),
        (3, 0),
        (4, 0),
        (3, 0),
        (1, 1),
        (5, 3),
    ]
    assert not patch.notes  # no diffstat mismatch, no unmatched hunk


def test_seed_context_lines_lost_their_marker_and_are_restored() -> None:
    quoted = recover_quoted_patch(seed_mail().read_text())
    assert quoted is not None and quoted.repaired_lines > 0
    parts = split_body(quoted.body)
    assert parts is not None
    task_mmu = parse_diff(parts.diff).files[0]
    kinds = "".join(line.kind for line in task_mmu.hunks[0].lines)
    assert kinds == "   +++   "


def test_clean_quote_with_review_comment_between_hunks_needs_no_repair() -> None:
    original = load_series(str(EXAMPLE_SERIES)).patches[1]
    body = (MAIL / "quoted-reply.eml").read_text()
    quoted = recover_quoted_patch(body.split("\n\n", 1)[1])
    assert quoted is not None and quoted.repaired_lines == 0
    parts = split_body(quoted.body)
    assert parts is not None
    assert parts.diff == original.diff.text


def test_counts_decide_a_context_line_that_starts_with_a_minus() -> None:
    # The archive dropped the leading space of the context line " -1," so it looks like a removal.
    reply = "\n".join(
        [
            "> diff --git a/t.c b/t.c",
            "> --- a/t.c",
            "> +++ b/t.c",
            "> @@ -1,3 +1,3 @@",
            "> int v[] = {",
            "> -1,",
            "> - 2,",
            "> + 3,",
            ">",
            "Comment.",
        ]
    )
    quoted = recover_quoted_patch(reply)
    assert quoted is not None
    parts = split_body(quoted.body)
    assert parts is not None
    (file,) = parse_diff(parts.diff).files
    assert [(line.kind, line.text) for line in file.hunks[0].lines] == [
        (" ", "int v[] = {"),
        (" ", "-1,"),
        ("-", " 2,"),
        ("+", " 3,"),
    ]


def test_a_hunk_that_cannot_match_its_counts_is_reported() -> None:
    reply = "> diff --git a/t.c b/t.c\n> --- a/t.c\n> +++ b/t.c\n> @@ -1,9 +1,9 @@\n> -a\n> +b\n"
    quoted = recover_quoted_patch(reply)
    assert quoted is None or quoted.problems


def test_unquote_strips_one_level() -> None:
    assert unquote("> a\n>> b\nc\n>\n > d") == ["a", "> b", "", "d"]


def test_reply_without_quoted_diff() -> None:
    assert recover_quoted_patch("> just a quote\nand an answer\n") is None


def test_a_long_ambiguous_quote_stays_fast() -> None:
    # Every line could be context or a change; the counts say they are all additions.
    lines = ["> diff --git a/t b/t", "> --- a/t", "> +++ b/t", "> @@ -0,0 +1,3000 @@"]
    lines += ["> +x"] * 3000
    quoted = recover_quoted_patch("\n".join(lines))
    assert quoted is not None and quoted.repaired_lines == 0
    parts = split_body(quoted.body)
    assert parts is not None and parse_diff(parts.diff).diffstat == Diffstat(1, 3000, 0)
