"""In-memory application: strict like git am, partial trees, states per patch, never writing the tree."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from patchcheck.errors import InputError
from patchcheck.intake.apply import apply_series
from patchcheck.intake.assemble import load_series
from patchcheck.source.tree import DirectoryTree, EmptyTree, GitRevisionTree, read_text

from .helpers import EXAMPLE_SERIES, EXAMPLE_TREE, MAIL


def _digest(root: Path) -> str:
    sha = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            sha.update(str(path.relative_to(root)).encode() + path.read_bytes())
    return sha.hexdigest()


def _copy_tree(tmp_path: Path, *files: str) -> Path:
    root = tmp_path / "tree"
    for name in files or [str(p.relative_to(EXAMPLE_TREE)) for p in EXAMPLE_TREE.rglob("*") if p.is_file()]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(EXAMPLE_TREE / name, root / name)
    return root


def test_example_series_applies_with_one_state_per_patch_and_leaves_the_tree_alone() -> None:
    before = _digest(EXAMPLE_TREE)
    series = load_series(str(EXAMPLE_SERIES))
    first, second = apply_series(series, DirectoryTree(EXAMPLE_TREE))
    assert _digest(EXAMPLE_TREE) == before
    mm_after_first = read_text(first.tree, "include/linux/mm.h") or ""
    assert "fs/proc/task_mmu.c and Documentation/filesystems/proc.rst." in mm_after_first
    assert "VM_SCRATCH" not in mm_after_first
    assert "VM_SCRATCH" not in (read_text(first.tree, "fs/proc/task_mmu.c") or "")
    assert '[ilog2(VM_SCRATCH)]\t= "sc",' in (read_text(second.tree, "fs/proc/task_mmu.c") or "")
    assert second.unchecked == () and second.skipped == ()


def test_changed_ranges_point_at_the_added_lines_in_the_post_image() -> None:
    series = load_series(str(EXAMPLE_SERIES))
    states = apply_series(series, DirectoryTree(EXAMPLE_TREE))
    final = states[-1]
    for path, change in final.changes.items():
        lines = (read_text(final.tree, path) or "").split("\n")
        added = [
            line.text
            for f in final.patch.files
            if f.path == path
            for h in f.hunks
            for line in h.lines
            if line.kind == "+"
        ]
        assert [lines[n - 1] for n in change.added_lines] == added, path
    task_mmu = final.changed_ranges()["fs/proc/task_mmu.c"]
    assert len(task_mmu) == 1 and task_mmu[0][1] - task_mmu[0][0] == 2


def test_without_a_tree_only_new_files_are_known() -> None:
    series = load_series(str(MAIL / "rename-new-delete.patch"))
    (state,) = apply_series(series, EmptyTree())
    assert set(state.unchecked) == {"arch/x86/Kconfig", "fs/proc/task_mmu.c"}
    assert read_text(state.tree, "mm/scratch.c") == (
        "// SPDX-License-Identifier: GPL-2.0\n/* Scratch mappings: nothing here yet. */\n"
    )


def test_rename_new_and_delete_against_the_tree() -> None:
    series = load_series(str(MAIL / "rename-new-delete.patch"))
    (state,) = apply_series(series, DirectoryTree(EXAMPLE_TREE))
    tree = state.tree
    assert tree.read_bytes("fs/proc/task_mmu.c") is None
    assert tree.read_bytes("arch/x86/Kconfig") is None
    moved = read_text(tree, "fs/proc/smaps_flags.c") or ""
    assert "(was task_mmu.c)" in moved and '[ilog2(VM_DROPPABLE)]\t= "dp",' in moved
    assert "mm/scratch.c" in set(tree.list_files("mm"))
    assert "fs/proc/task_mmu.c" not in set(tree.list_files())


def test_partial_tree_applies_to_present_files_and_records_the_absent_ones(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path, "include/linux/mm.h")
    states = apply_series(load_series(str(EXAMPLE_SERIES)), DirectoryTree(root))
    assert "VM_SCRATCH_BIT\t\t41" in (read_text(states[-1].tree, "include/linux/mm.h") or "")
    assert set(states[-1].unchecked) == {
        "Documentation/filesystems/proc.rst",
        "fs/proc/task_mmu.c",
        "include/trace/events/mmflags.h",
        "mm/Kconfig",
    }
    assert states[0].unchecked == ()


def test_partial_tree_with_a_mismatching_present_file_fails(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path, "fs/proc/task_mmu.c")
    with pytest.raises(InputError) as caught:
        apply_series(load_series(str(MAIL / "does-not-apply.patch")), DirectoryTree(root))
    assert "fs/proc/task_mmu.c: hunk #1" in caught.value.message


def test_failure_names_patch_file_hunk_context_nearest_lines_and_base() -> None:
    series = load_series(str(MAIL / "does-not-apply.patch"))
    with pytest.raises(InputError) as caught:
        apply_series(series, DirectoryTree(EXAMPLE_TREE))
    error = caught.value
    title = "mm: add VM_SCRATCH for mappings left out of hibernation images"
    assert error.message.startswith(
        f"patch 1/1 '{title}' does not apply: fs/proc/task_mmu.c: hunk #1 @@ -32,6 +32,9 @@"
    )
    assert '  | \t\t[ilog2(VM_DROPPABLE)]\t= "dr",' in error.details
    tree_line = '| \t\t[ilog2(VM_DROPPABLE)]\t= "dp",'
    assert any(line.endswith(tree_line) and "34" in line for line in error.details)
    assert "nearest match in the tree (5 of 6 lines agree), from line 32:" in error.details
    assert error.details[-1] == "the series names no base-commit"


def test_failure_reports_the_series_base_commit(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path)
    (root / "mm/Kconfig").write_text("# rewritten\n")
    with pytest.raises(InputError) as caught:
        apply_series(load_series(str(EXAMPLE_SERIES)), DirectoryTree(root))
    assert caught.value.message.startswith("patch 2/2")
    assert "mm/Kconfig: hunk #1" in caught.value.message
    assert caught.value.details[-1] == "series base-commit: ca19df032f4a2b9d8232fbf5ebb6c21afd0acafb"
    assert "no line of that context occurs in the file" in caught.value.details


def test_offsets_are_allowed(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path)
    mm = root / "include/linux/mm.h"
    mm.write_text("/* one */\n/* two */\n/* three */\n" + mm.read_text())
    states = apply_series(load_series(str(EXAMPLE_SERIES)), DirectoryTree(root))
    text = read_text(states[-1].tree, "include/linux/mm.h") or ""
    assert text.startswith("/* one */") and "#define VM_SCRATCH_BIT\t\t41" in text


def test_whitespace_differences_need_ignore_whitespace(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path)
    mmflags = root / "include/trace/events/mmflags.h"
    mmflags.write_text(
        mmflags.read_text().replace(
            "# define IF_HAVE_VM_DROPPABLE(flag, name)\n", "#  define IF_HAVE_VM_DROPPABLE(flag,   name)\n"
        )
    )
    series = load_series(str(EXAMPLE_SERIES))
    with pytest.raises(InputError, match=r"include/trace/events/mmflags\.h: hunk #1"):
        apply_series(series, DirectoryTree(root))
    states = apply_series(series, DirectoryTree(root), ignore_whitespace=True)
    text = read_text(states[-1].tree, "include/trace/events/mmflags.h") or ""
    # Context keeps the tree's own spelling; the added lines are the patch's.
    assert "#  define IF_HAVE_VM_DROPPABLE(flag,   name)\n" in text
    assert "# define IF_HAVE_VM_SCRATCH(flag, name) {flag, name},\n" in text


def test_mangled_quote_applies_only_because_whitespace_is_ignored() -> None:
    series = load_series(str(MAIL / "mangled-quote.txt"))
    (state,) = apply_series(series, DirectoryTree(EXAMPLE_TREE))
    assert state.ignored_whitespace
    assert "VM_SCRATCH" in (read_text(state.tree, "include/linux/mm.h") or "")


def test_new_file_that_already_exists_fails(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path)
    (root / "mm/scratch.c").write_text("already here\n")
    with pytest.raises(InputError, match=r"mm/scratch\.c already exists"):
        apply_series(load_series(str(MAIL / "rename-new-delete.patch")), DirectoryTree(root))


def test_binary_part_is_skipped_and_the_text_part_applied() -> None:
    (state,) = apply_series(load_series(str(MAIL / "binary.patch")), DirectoryTree(EXAMPLE_TREE))
    assert state.skipped == ("Documentation/filesystems/vmflags.png: binary patch not applied",)
    assert state.tree.read_bytes("Documentation/filesystems/vmflags.png") is None
    proc = read_text(state.tree, "Documentation/filesystems/proc.rst") or ""
    assert proc.endswith(".. image:: vmflags.png\n")


def test_non_utf8_mail_gives_utf8_in_the_tree() -> None:
    (state,) = apply_series(load_series(str(MAIL / "latin1.eml")), DirectoryTree(EXAMPLE_TREE))
    data = state.tree.read_bytes("Documentation/filesystems/proc.rst") or b""
    assert "naïve transliteration".encode() in data


@pytest.mark.parametrize(
    "diff",
    [
        "diff --git a/../outside b/../outside\n--- a/../outside\n+++ b/../outside\n@@ -1 +1 @@\n-a\n+b\n",
        "--- /etc/passwd\n+++ /etc/passwd\n@@ -1 +1 @@\n-a\n+b\n",
        "diff --git a/x b/y\nsimilarity index 100%\nrename from x\nrename to /tmp/y\n",
    ],
)
def test_escaping_paths_are_refused(tmp_path: Path, diff: str) -> None:
    mail = tmp_path / "evil.patch"
    mail.write_text("Subject: [PATCH] innocent\n\n---\n" + diff)
    series = load_series(str(mail))
    with pytest.raises(InputError, match="refusing"):
        apply_series(series, DirectoryTree(EXAMPLE_TREE))


def test_no_newline_at_end_of_file_is_honoured(tmp_path: Path) -> None:
    root = tmp_path / "t"
    root.mkdir()
    (root / "f").write_text("a\nb")
    patch = tmp_path / "p.patch"
    patch.write_text(
        "Subject: [PATCH] x\n\n---\ndiff --git a/f b/f\n--- a/f\n+++ b/f\n"
        "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n"
    )
    (state,) = apply_series(load_series(str(patch)), DirectoryTree(root))
    assert state.tree.read_bytes("f") == b"a\nc\n"


needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")


@needs_git
def test_git_revision_tree_is_read_without_checkout(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path)
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    (root / "fs/proc/task_mmu.c").write_text("worktree edit that would not match\n")
    states = apply_series(load_series(str(EXAMPLE_SERIES)), GitRevisionTree(root, "HEAD"))
    assert '"sc"' in (read_text(states[-1].tree, "fs/proc/task_mmu.c") or "")
    assert (root / "fs/proc/task_mmu.c").read_text() == "worktree edit that would not match\n"


def test_path_traversal_fixture_is_refused_before_anything_is_applied() -> None:
    series = load_series(str(MAIL / "path-traversal.patch"))
    (patch,) = series.patches
    assert [f.path for f in patch.files] == ["include/linux/mm.h"]
    (part,) = patch.diff.unusable
    assert part.hostile and "'..'" in part.reason
    with pytest.raises(InputError, match=r"patch 1/1 'mm: tidy a comment': refusing path with '\.\.'"):
        apply_series(series, DirectoryTree(EXAMPLE_TREE))


@needs_git
def test_git_revision_tree_of_a_subdirectory_reads_that_directory(tmp_path: Path) -> None:
    """--tree may name a kernel tree inside a larger repository: the revision is read from there."""
    repo = tmp_path / "repo"
    repo.mkdir()
    root = _copy_tree(repo)
    (repo / "top.txt").write_text("outside the kernel tree\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    tree = GitRevisionTree(root, "HEAD")
    assert tree.read_bytes("include/linux/mm.h") == (root / "include/linux/mm.h").read_bytes()
    assert "include/linux/mm.h" in set(tree.list_files()) and "top.txt" not in set(tree.list_files())
    (root / "empty").mkdir()
    with pytest.raises(InputError, match="not a directory of the git repository"):
        GitRevisionTree(root / "empty", "HEAD")
