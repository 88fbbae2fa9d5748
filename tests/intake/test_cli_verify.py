"""`patchcheck verify` as users and hooks run it: output, formats, stdin, exit statuses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .helpers import EXAMPLE_SERIES, EXAMPLE_TREE, MAIL, REPO


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "patchcheck", *args], capture_output=True, input=stdin, cwd=REPO, check=False
    )


def test_readme_example_command() -> None:
    out = run("verify", "fixtures/example/series.mbox", "--tree", "fixtures/example/tree")
    assert out.returncode == 0, out.stderr
    text = out.stdout.decode()
    assert text.startswith("series v2 (only version; seen: v2): 2 of 2 patches\n")
    assert "files (5), 24 insertions(+), 1 deletion(-):" in text
    assert "VM_* definitions: VM_SCRATCH (added), VM_SCRATCH_BIT (added)" in text
    assert f"applied to: {EXAMPLE_TREE.resolve()}" in text


def test_json_format_and_stdin() -> None:
    out = run("verify", "-", "--format", "json", stdin=EXAMPLE_SERIES.read_bytes())
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["format"] == "patchcheck-report"
    summary = report["series"]
    assert summary["version"] == 2 and summary["complete"] and summary["tree"] is None
    assert summary["diffstat"] == {"files": 5, "insertions": 24, "deletions": 1}
    assert summary["vm_flags"] == {"VM_SCRATCH": "added", "VM_SCRATCH_BIT": "added"}
    assert [p["patch"] for p in summary["patches"]] == ["1/2", "2/2"]


def test_version_option_on_a_thread() -> None:
    out = run("verify", str(MAIL / "thread-v1-v2.mbox"), "--reroll-count", "1", "--format", "json")
    summary = json.loads(out.stdout)["series"]
    assert summary["version"] == 1 and summary["version_choice"] == "as requested"
    short = run("verify", str(MAIL / "thread-v1-v2.mbox"), "-v", "1", "--format", "json")
    assert json.loads(short.stdout)["series"] == summary
    # --version is the program's version, not a series version (as in git format-patch and b4)
    clash = run("verify", str(MAIL / "thread-v1-v2.mbox"), "--version", "1")
    assert clash.returncode == 2 and b"Traceback" not in clash.stderr


def test_ignore_whitespace_option(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "include/linux").mkdir(parents=True)
    original = (EXAMPLE_TREE / "include/linux/mm.h").read_text()
    (tree / "include/linux/mm.h").write_text(
        original.replace("#define VM_DROPPABLE\t\tVM_NONE", "#define VM_DROPPABLE  VM_NONE")
    )
    strict = run("verify", str(MAIL / "single.patch"), "--tree", str(tree))
    assert strict.returncode == 0  # patch 1 does not touch that line
    second = run("verify", str(EXAMPLE_SERIES), "--tree", str(tree))
    assert second.returncode == 2 and b"include/linux/mm.h: hunk #1" in second.stderr
    lenient = run("verify", str(EXAMPLE_SERIES), "--tree", str(tree), "--ignore-whitespace")
    assert lenient.returncode == 0, lenient.stderr


def test_patch_that_does_not_apply_exits_2_without_traceback() -> None:
    out = run("verify", str(MAIL / "does-not-apply.patch"), "--tree", str(EXAMPLE_TREE))
    assert out.returncode == 2
    err = out.stderr.decode()
    assert err.startswith("patchcheck: error: patch 1/1 ")
    assert "Traceback" not in err and "hunk #1" in err


def test_bad_inputs_exit_2_with_one_line() -> None:
    for args in (
        ["verify", "/nonexistent.mbox"],
        ["verify", str(EXAMPLE_SERIES), "--tree", "/nonexistent"],
        ["verify", str(MAIL / "path-traversal.patch")],
        ["verify", str(MAIL / "thread-v1-v2.mbox"), "-v", "7"],
        ["verify", str(EXAMPLE_SERIES), "--format", "xml"],
        ["verify", str(EXAMPLE_SERIES), "--tree", str(EXAMPLE_TREE), "--rev", "no-such-rev"],
    ):
        out = run(*args)
        assert out.returncode == 2, args
        assert b"Traceback" not in out.stderr


def test_reconstructed_quote_is_said_so() -> None:
    out = run("verify", str(MAIL / "mangled-quote.txt"), "--tree", str(EXAMPLE_TREE))
    assert out.returncode == 0, out.stderr
    text = out.stdout.decode()
    assert "[reconstructed from a quote; whitespace ignored]" in text
    assert "1 of 2 patches absent: 1/2" in text


def test_tree_that_is_not_a_kernel_tree_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    out = run("verify", str(EXAMPLE_SERIES), "--tree", str(empty))
    assert out.returncode == 2
    assert b"is not a kernel tree" in out.stderr and b"Traceback" not in out.stderr


def test_partial_tree_with_a_touched_file_is_accepted(tmp_path: Path) -> None:
    partial = tmp_path / "partial"
    (partial / "include/linux").mkdir(parents=True)
    (partial / "include/linux/mm.h").write_bytes((EXAMPLE_TREE / "include/linux/mm.h").read_bytes())
    out = run("verify", str(EXAMPLE_SERIES), "--tree", str(partial))
    assert out.returncode == 0, out.stderr
    assert b"not checked (absent from the tree): fs/proc/task_mmu.c" in out.stdout


def _context_line_dropped(text: str, path: str) -> str:
    """The series with the first context line of `path`'s first hunk dropped: the hunk is shorter than its
    @@ line says (`git apply` calls the patch corrupt). A hunk longer than it says is read as git reads it:
    its counted lines, the rest not part of it."""
    lines = text.split("\n")
    at = lines.index(f"diff --git a/{path} b/{path}")
    context = next(i for i in range(at, len(lines)) if lines[i].startswith(" ") and lines[i - 1][:1] in "@ ")
    return "\n".join(lines[:context] + lines[context + 1 :])


def test_a_corrupt_patch_is_bad_input_as_git_am_has_it(tmp_path: Path) -> None:
    """A hunk shorter than its header says, in any patch of the series, with a tree or without: one line
    naming the patch and the file, exit 2, no report (a report of the rest would look clean)."""
    text = EXAMPLE_SERIES.read_text()
    for path, number in (("mm/Kconfig", "2/2"), ("include/linux/mm.h", "1/2")):
        broken = tmp_path / "broken.mbox"
        broken.write_text(_context_line_dropped(text, path))
        for tree in ([], ["--tree", str(EXAMPLE_TREE)]):
            out = run("verify", str(broken), *tree)
            err = out.stderr.decode()
            assert out.returncode == 2, (path, tree, out.stdout.decode())
            assert err.count("\n") == 1 and f"corrupt patch: patch {number} " in err and path in err, err
            assert out.stdout == b""
    assert run("verify", str(EXAMPLE_SERIES)).returncode == 0


def test_bad_input_messages_say_what_is_wrong(tmp_path: Path) -> None:
    empty, blank, dangling = tmp_path / "empty.mbox", tmp_path / "blank.mbox", tmp_path / "dangling.mbox"
    empty.write_bytes(b"")
    blank.write_bytes(b"\n \n\t\n")
    dangling.symlink_to(tmp_path / "gone")
    expected = {
        (str(empty),): f"{empty}: empty file",
        (str(blank),): f"{blank}: empty file",
        (str(dangling),): f"{dangling}: a symbolic link that leads nowhere",
        # a path out of the tree is refused as such (not "corrupt"), with a tree or without
        (str(MAIL / "path-traversal.patch"),): "refusing path with '..'",
        (str(MAIL / "path-traversal.patch"), "--tree", str(EXAMPLE_TREE)): "refusing path with '..'",
        (str(EXAMPLE_SERIES), "--bogus"): "no such option: --bogus; try 'patchcheck verify --help'",
    }
    for args, message in expected.items():
        out = run("verify", *args)
        err = out.stderr.decode()
        assert out.returncode == 2 and err.count("\n") == 1, (args, err)
        assert err.startswith("patchcheck: error: ") and message in err and "corrupt" not in err, (args, err)


def test_a_trimmed_diff_in_a_cover_letter_is_noted_and_the_series_checked(tmp_path: Path) -> None:
    """A cover letter often shows a cut-down diff to illustrate: not a patch to apply (b4 ignores it)."""
    text = EXAMPLE_SERIES.read_text()
    snippet = (
        "The core of it (trimmed):\n\n"
        "--- a/include/linux/mm.h\n+++ b/include/linux/mm.h\n"
        "@@ -30,6 +30,8 @@\n #define VM_READ\n+#define VM_X\n\n"
    )
    series = tmp_path / "cover.mbox"
    series.write_text(text.replace("Changes since v1:", snippet + "Changes since v1:", 1))
    out = run("verify", str(series), "--tree", str(EXAMPLE_TREE))
    assert out.returncode == 0, out.stderr
    assert b"[2/2] mm: add VM_SCRATCH" in out.stdout and b"malformed diff" in out.stdout


def test_a_diff_git_cannot_call_corrupt_is_not_refused(tmp_path: Path) -> None:
    """A `diff --git` line naming other files than its ---/+++ lines: unidiff cannot read it, git applies
    it; the part is noted as not checked, never refused as corrupt."""
    text = EXAMPLE_SERIES.read_text().replace(
        "diff --git a/mm/Kconfig b/mm/Kconfig", "diff --git a/mm/Kconfig.old b/mm/Kconfig.new", 1
    )
    series = tmp_path / "names.mbox"
    series.write_text(text)
    out = run("verify", str(series))
    assert out.returncode == 0 and b"corrupt" not in out.stderr, out.stderr


def test_a_corrupt_patch_message_is_one_line_without_escapes(tmp_path: Path) -> None:
    text = _context_line_dropped(EXAMPLE_SERIES.read_text(), "mm/Kconfig")
    series = tmp_path / "evil.mbox"
    at = text.index("diff --git a/mm/Kconfig b/mm/Kconfig")
    header, rest = text[at:].split("@@", 1)
    series.write_text(text[:at] + header.replace("mm/Kconfig", "mm/K\x1b[2J") + "@@" + rest)
    out = run("verify", str(series))
    err = out.stderr.decode()
    assert out.returncode == 2 and "corrupt patch" in err, err
    assert err.count("\n") == 1 and "\x1b" not in err, err


def test_strict_refuses_a_path_out_of_the_tree_in_its_own_words() -> None:
    out = run("verify", str(MAIL / "path-traversal.patch"), "--strict")
    err = out.stderr.decode()
    assert out.returncode == 2 and "refusing path with '..'" in err and "incomplete" not in err, err
