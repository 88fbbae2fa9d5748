"""Containment: every read stays inside the tree; a symlink out of it is reported once and not followed; a
file that cannot be read (or a git object that is missing) is an error naming it, never "absent"."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from patchcheck.source.tree import DirectoryTree
from tests.gitrepo import git
from tests.hostile.generators import patch_two
from tests.hostile.harness import SECRET, copy_tree, run


def _patch_of(path: str, context: str) -> bytes:
    """A patch changing `path`, whose context cannot match: a failure would show the nearest lines."""
    return (
        f"From: Mal Lory <mal@example.org>\nSubject: [PATCH] touch {path}\nMessage-Id: <mal@example.org>\n\n"
        f"x\n---\ndiff --git a/{path} b/{path}\nindex 1111111..2222222 100644\n--- a/{path}\n+++ b/{path}\n"
        f"@@ -1,2 +1,2 @@\n {context}\n-nothing\n+something\n-- \n2.39.5\n"
    ).encode()


def test_a_directory_symlink_out_of_the_tree_is_not_followed(tmp_path: Path) -> None:
    tree = copy_tree(tmp_path / "tree")
    (tree / "evil").symlink_to(tmp_path)  # tmp_path holds secret.txt (see harness.sandbox)
    out = run(tmp_path, "verify", "-", "--tree", str(tree), stdin=_patch_of("evil/secret.txt", SECRET))
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("evil: a symlink out of the tree") == 1
    assert "not in the tree, so not checked: evil/secret.txt" in out.stdout


def test_a_file_symlink_out_of_the_tree_is_not_followed(tmp_path: Path) -> None:
    tree = copy_tree(tmp_path / "tree")
    (tree / "mm" / "leak.c").symlink_to(tmp_path / "secret.txt")
    out = run(tmp_path, "verify", "-", "--tree", str(tree), stdin=_patch_of("mm/leak.c", "patchcheck"))
    assert "mm/leak.c: a symlink out of the tree" in out.stdout


def test_a_symlink_inside_the_tree_is_followed(tmp_path: Path) -> None:
    tree = copy_tree(tmp_path / "tree")
    (tree / "alias").symlink_to(tree / "mm")
    assert DirectoryTree(tree).read_bytes("alias/Kconfig") == (tree / "mm" / "Kconfig").read_bytes()


def test_listing_never_walks_out_of_the_tree(tmp_path: Path) -> None:
    tree = copy_tree(tmp_path / "tree")
    outside = tmp_path / "usr"
    (outside / "deep").mkdir(parents=True)
    (outside / "deep" / "Kconfig").write_text("config OUTSIDE\n")
    (tree / "kernel").symlink_to(outside)
    source = DirectoryTree(tree)
    assert not [p for p in source.list_files() if p.startswith("kernel/")]
    assert list(source.list_files("kernel")) == []
    assert source.outside == {"kernel": str(outside)}


def test_audit_reports_the_symlink_once(tmp_path: Path) -> None:
    tree = copy_tree(tmp_path / "tree")
    (tree / "mm" / "Kconfig").rename(tree / "mm" / "Kconfig.real")
    (tree / "mm" / "Kconfig").symlink_to(tmp_path / "secret.txt")
    out = run(tmp_path, "audit", "--tree", str(tree))
    assert out.stdout.count("mm/Kconfig: a symlink out of the tree") == 1


def test_a_fifo_in_the_tree_is_not_waited_on(tmp_path: Path) -> None:
    tree = copy_tree(tmp_path / "tree")
    os.mkfifo(tree / "mm" / "fifo.c")
    out = run(tmp_path, "verify", "-", "--tree", str(tree), stdin=_patch_of("mm/fifo.c", "x"), timeout=60)
    assert "not in the tree, so not checked: mm/fifo.c" in out.stdout


# Root reads mode-000 files: as root, patchcheck runs without the capabilities that let it (CI runs as root).
_UNPRIVILEGED = ("setpriv", "--bounding-set=-dac_override,-dac_read_search") if os.geteuid() == 0 else ()


def test_an_unreadable_file_is_an_error_naming_it(tmp_path: Path) -> None:
    tree = copy_tree(tmp_path / "tree")
    (tree / "mm" / "Kconfig").chmod(0)
    try:
        out = run(
            tmp_path,
            "verify",
            "-",
            "--tree",
            str(tree),
            stdin=patch_two(),
            allowed=(2,),
            prefix=_UNPRIVILEGED,
        )
    finally:
        (tree / "mm" / "Kconfig").chmod(0o644)
    assert "mm/Kconfig: cannot read: Permission denied" in out.stderr


def test_an_unreadable_file_is_an_error_in_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The same as root (who reads mode-000 files): the read fails with EACCES."""
    from patchcheck.errors import InputError

    tree = DirectoryTree(copy_tree(tmp_path / "tree"))
    real_open = os.open

    def refusing(path: str, flags: int, *args: int) -> int:
        if str(path).endswith("mm/Kconfig"):
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", refusing)
    with pytest.raises(InputError, match="mm/Kconfig: cannot read: Permission denied"):
        tree.read_bytes("mm/Kconfig")
    assert tree.read_bytes("mm/nothing-here") is None


def test_a_missing_git_object_is_an_error_naming_the_file(tmp_path: Path) -> None:
    repo = copy_tree(tmp_path / "repo")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    blob = git(repo, "rev-parse", "HEAD:mm/Kconfig").strip()
    (repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    shutil.rmtree(repo / "mm")  # the work tree cannot stand in for it either
    out = run(tmp_path, "verify", "-", "--tree", str(repo), "--rev", "HEAD", stdin=patch_two(), allowed=(2,))
    assert "mm/Kconfig: git object" in out.stderr and "cannot be read" in out.stderr


def test_greps_of_the_tree_never_follow_a_symlink_out_of_it(tmp_path: Path) -> None:
    """PC101's search greps whole directories: one that is a symlink out of the tree is not searched."""
    from patchcheck.rules.registry.uses import BaseSearch

    tree = copy_tree(tmp_path / "tree")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "leak.c").write_text(f"/* {SECRET} */ int leak(unsigned long f) {{ return f & VM_LEAK; }}\n")
    shutil.rmtree(tree / "kernel", ignore_errors=True)
    (tree / "kernel").symlink_to(outside)
    source = DirectoryTree(tree)
    search = BaseSearch(source, ["VM_LEAK"], ("mm", "kernel"))
    assert search.listed() == set()
    assert source.outside == {"kernel": str(outside)}
