"""The diff model: where a diff ends, files and hunks, git's extended headers, unusable parts."""

from __future__ import annotations

from patchcheck.intake.diff import Diffstat, parse_diff, split_body

from .helpers import MAIL

BODY = """A commit message.

Signed-off-by: A <a@example.org>
---
 x.c | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/x.c b/x.c
index 1111111..2222222 100644
--- a/x.c
+++ b/x.c
@@ -1,3 +1,3 @@
 int a;
--- b;
+++ b;
 int c;
{signature}
2.44.0

base-commit: 0123456789abcdef0123456789abcdef01234567
""".format(signature="-- ")


def test_body_is_cut_at_the_diff_by_hunk_counts() -> None:
    parts = split_body(BODY)
    assert parts is not None
    assert parts.message == "A commit message.\n\nSigned-off-by: A <a@example.org>"
    assert parts.notes.endswith("1 file changed, 1 insertion(+), 1 deletion(-)")
    # "--- b;" and "+++ b;" are hunk lines (a removed "-- b;" and an added "++ b;"), not file headers,
    # and the "-- " signature after the hunk ends the diff.
    assert parts.diff.splitlines()[-1] == " int c;"
    assert "base-commit:" in parts.tail
    (file,) = parse_diff(parts.diff).files
    assert [(line.kind, line.text) for line in file.hunks[0].lines] == [
        (" ", "int a;"),
        ("-", "-- b;"),
        ("+", "++ b;"),
        (" ", "int c;"),
    ]


def test_body_without_diff() -> None:
    assert split_body("just words\n--- not a diff\n") is None


def test_rename_new_and_deleted_files() -> None:
    parts = split_body((MAIL / "rename-new-delete.patch").read_text())
    assert parts is not None
    parsed = parse_diff(parts.diff)
    by_status = {f.status: f for f in parsed.files}
    assert by_status["deleted"].old_path == "arch/x86/Kconfig" and by_status["deleted"].new_path is None
    assert by_status["deleted"].old_mode == "100644"
    renamed = by_status["renamed"]
    assert (renamed.old_path, renamed.new_path) == ("fs/proc/task_mmu.c", "fs/proc/smaps_flags.c")
    assert by_status["added"].new_path == "mm/scratch.c" and by_status["added"].new_mode == "100644"
    assert parsed.diffstat == Diffstat(3, 3, 13)


def test_binary_part_is_kept_as_binary_file() -> None:
    parts = split_body((MAIL / "binary.patch").read_text())
    assert parts is not None
    parsed = parse_diff(parts.diff)
    binary = [f for f in parsed.files if f.binary]
    assert [f.path for f in binary] == ["Documentation/filesystems/vmflags.png"]
    assert binary[0].status == "added" and not binary[0].hunks
    assert "base85" not in parts.tail and parts.tail.startswith("-- ")


def test_escaping_paths_are_unusable_and_hostile() -> None:
    text = (
        "diff --git a/../../etc/passwd b/../../etc/passwd\n--- a/../../etc/passwd\n+++ b/../../etc/passwd\n"
        "@@ -1 +1 @@\n-root\n+toor\n"
        "--- /etc/shadow\n+++ /etc/shadow\n@@ -1 +1 @@\n-a\n+b\n"
        "diff --git a/ok.c b/ok.c\n--- a/ok.c\n+++ b/ok.c\n@@ -1 +1 @@\n-a\n+b\n"
    )
    parsed = parse_diff(text)
    assert [f.path for f in parsed.files] == ["ok.c"]
    assert all(part.hostile for part in parsed.unusable)
    reasons = " ".join(part.reason for part in parsed.unusable)
    assert "'..'" in reasons and "absolute" in reasons


def test_malformed_hunk_is_unusable_not_an_exception() -> None:
    text = (
        "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,5 +1,5 @@\n-a\n+b\n"
        "diff --git a/y b/y\n--- a/y\n+++ b/y\n"
    )
    parsed = parse_diff(text)
    assert parsed.unusable and not parsed.unusable[0].hostile
    assert "malformed" in parsed.unusable[0].reason


def test_no_newline_at_end_markers() -> None:
    text = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n"
    (file,) = parse_diff(text).files
    hunk = file.hunks[0]
    assert hunk.old_ends_without_newline and not hunk.new_ends_without_newline
