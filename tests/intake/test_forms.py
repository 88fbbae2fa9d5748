"""Every form real list mail takes: quilt fixups, patches carried in replies, -p0 diffs, a commit message
running straight into the diff, and mail that holds no patch at all."""

from __future__ import annotations

import subprocess
import sys

import pytest

from patchcheck.errors import InputError
from patchcheck.intake import apply_series, load_series
from patchcheck.intake.assemble import assemble
from patchcheck.intake.diff import parse_diff, split_body
from patchcheck.intake.mail import mails_from_bytes
from patchcheck.intake.resolve import fit_strip_level
from patchcheck.source.tree import DirectoryTree

from .helpers import EXAMPLE_TREE, MAIL, REPO

FORMS = MAIL / "forms"


def added_lines(name: str) -> list[str]:
    series = load_series(str(FORMS / name))
    states = apply_series(series, DirectoryTree(EXAMPLE_TREE))
    text = (states[-1].tree.read_bytes("include/linux/mm.h") or b"").decode()
    change = states[-1].changes["include/linux/mm.h"]
    return [text.split("\n")[n - 1] for n in change.added_lines]


def test_quilt_fixup_after_reply_text() -> None:
    series = load_series(str(FORMS / "quilt-fixup.eml"))
    [patch] = series.patches
    [file] = patch.files
    # `--- a/f~fix-name` is quilt's backup name: the file is the one on the +++ line, unrenamed.
    assert (file.old_path, file.new_path, file.status) == (
        "include/linux/mm.h",
        "include/linux/mm.h",
        "modified",
    )
    assert patch.title == "mm: say where a new VM_* flag must be documented"
    assert "I'll queue this as a fixup" in patch.message and not any(
        line.startswith(">") for line in patch.message.splitlines()
    )
    assert added_lines("quilt-fixup.eml") == [
        " * and Documentation/filesystems/proc.rst for a flag shown in smaps."
    ]


def test_reply_carrying_a_patch_with_in_body_headers() -> None:
    series = load_series(str(FORMS / "queue-reply.eml"))
    [patch] = series.patches
    assert patch.author == "Ada Example <ada@example.org>"  # the in-body From:, not the replier
    assert patch.date == "Wed, 4 Mar 2026 10:00:00 +0000"
    assert (patch.title, patch.revision, patch.label) == (
        "mm: name the smaps table next to the VM_* flags",
        3,
        "1/1",
    )
    assert patch.message.startswith("A new VM_* flag shown in smaps")
    assert "plan to queue" not in patch.message
    assert {t.name.lower() for t in patch.trailers} == {"signed-off-by"}
    assert added_lines("queue-reply.eml") == [" * and fs/proc/task_mmu.c when the flag has a smaps mnemonic."]


def test_p0_diff_keeps_the_whole_path() -> None:
    [patch] = load_series(str(FORMS / "p0.patch")).patches
    assert [f.path for f in patch.files] == ["include/linux/mm.h"]
    assert added_lines("p0.patch") == [" * and the VmFlags list in Documentation/filesystems/proc.rst."]


def test_commit_message_straight_into_the_diff() -> None:
    [patch] = load_series(str(FORMS / "no-separator.patch")).patches
    assert patch.message.endswith("Signed-off-by: Ada Example <ada@example.org>")
    assert [f.path for f in patch.files] == ["include/linux/mm.h"]
    assert added_lines("no-separator.patch") == [" * (its __def_vmaflag_names list) for the trace output."]


def test_reply_that_quotes_a_patch_and_carries_its_own() -> None:
    [patch] = load_series(str(FORMS / "reply-quote-and-patch.eml")).patches
    # The unquoted patch is the one carried; the quoted one is what it answers.
    assert not patch.reconstructed_from_quote
    assert patch.diffstat.insertions == 2 and patch.diffstat.deletions == 0
    assert "How about this instead" in patch.message and not any(
        line.startswith(">") for line in patch.message.splitlines()
    )
    assert added_lines("reply-quote-and-patch.eml")[1] == " * Documentation/filesystems/proc.rst."


def test_a_carried_patch_in_a_thread_with_the_series_is_noted_not_applied() -> None:
    thread = (MAIL / "single.patch").read_bytes() + b"\n" + b"From mboxrd@z Thu Jan  1 00:00:00 1970\n"
    thread += (FORMS / "quilt-fixup.eml").read_bytes()
    series = assemble(mails_from_bytes(thread, "thread"), source="thread")
    assert [p.title for p in series.patches] == ["mm: name every file a new VM_* flag must update"]
    assert any("a reply carries a patch" in note for note in series.notes)


@pytest.mark.parametrize(
    ("names", "paths"),
    [
        (("--- mm/rmap.c.orig", "+++ mm/rmap.c"), ["mm/rmap.c"]),  # -p0 with a backup name
        (("--- linux.orig/mm/rmap.c", "+++ linux/mm/rmap.c"), ["mm/rmap.c"]),  # diff -ru of two trees
        (("--- a/mm/rmap.c~fix", "+++ a/mm/rmap.c"), ["mm/rmap.c"]),  # quilt
        (("--- rmap.c", "+++ rmap.c"), ["rmap.c"]),
    ],
)
def test_strip_level_of_diffs_made_outside_git(names: tuple[str, str], paths: list[str]) -> None:
    diff = parse_diff(f"{names[0]}\n{names[1]}\n@@ -1 +1 @@\n-a\n+b\n")
    assert [f.path for f in diff.files] == paths and [f.status for f in diff.files] == ["modified"]


def test_quilt_diff_lines_between_files() -> None:
    text = "".join(
        f"diff -puN mm/{name}.c~fix mm/{name}.c\n--- a/mm/{name}.c~fix\n+++ a/mm/{name}.c\n"
        "@@ -1 +1 @@\n-a\n+b\n"
        for name in ("mmap", "mlock")
    )
    parts = split_body("A fix.\n\n" + text + "_\n")
    assert parts is not None and parts.message == "A fix." and parts.tail == "_\n"
    assert [f.path for f in parse_diff(parts.diff).files] == ["mm/mmap.c", "mm/mlock.c"]


def test_git_no_prefix_diff() -> None:
    diff = parse_diff(
        "diff --git mm/mlock.c mm/mlock.c\nindex 1..2 100644\n--- mm/mlock.c\n+++ mm/mlock.c\n"
        "@@ -1 +1 @@\n-a\n+b\n"
    )
    assert [f.path for f in diff.files] == ["mm/mlock.c"]


@pytest.mark.parametrize(
    ("name", "words"),
    [
        (
            "cover-only.eml",
            "only a cover letter ('[PATCH 0/2] mm: comments for VM_* flag authors'), no patch",
        ),
        ("no-diff.eml", "no patch found"),
    ],
)
def test_mail_without_a_patch_is_one_line_and_exit_2(name: str, words: str) -> None:
    with pytest.raises(InputError, match="no patch"):
        load_series(str(FORMS / name))
    done = subprocess.run(
        [sys.executable, "-m", "patchcheck", "verify", str(FORMS / name)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and words in done.stderr


def test_a_diff_made_above_the_tree_is_read_p1_when_the_tree_says_so() -> None:
    """`diff -up linux/include/linux/mm.h.orig linux/include/linux/mm.h`: both names start with `linux/`,
    which reads as -p0 without a tree; the tree has include/linux/mm.h, not linux/include/linux/mm.h."""
    text = (FORMS / "p0.patch").read_text()
    text = text.replace("--- include/linux/mm.h", "--- linux/include/linux/mm.h.orig")
    text = text.replace("+++ include/linux/mm.h", "+++ linux/include/linux/mm.h")
    series = assemble(mails_from_bytes(text.encode(), "above.patch"), source="above.patch")
    assert [f.path for f in series.patches[0].files] == ["linux/include/linux/mm.h"]
    fitted = fit_strip_level(series, DirectoryTree(EXAMPLE_TREE))
    assert [f.path for f in fitted.patches[0].files] == ["include/linux/mm.h"]
    (state,) = apply_series(fitted, DirectoryTree(EXAMPLE_TREE))
    assert state.changes["include/linux/mm.h"].added_lines and not state.unchecked
    # A tree that has neither path leaves the reading alone (its hunks are then "not checked").
    assert fit_strip_level(series, DirectoryTree(EXAMPLE_TREE.parent)).patches[0].files[0].path == (
        "linux/include/linux/mm.h"
    )
