"""PC101's search of a git revision (`git grep`) is kept on disk by the revision's tree id, which names its
content for good: the hooks check the same revision again and again."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchcheck.rules.registry.uses import BaseSearch
from patchcheck.source.tree import GitRevisionTree
from tests.gitrepo import git


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "mm").mkdir(parents=True)
    (root / "mm" / "a.c").write_text("if (vma->vm_flags & VM_ONE)\n")
    (root / "mm" / "b.c").write_text("/* nothing here */\n")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "one")
    (root / "mm" / "b.c").write_text("x = VM_ONE;\n")
    git(root, "commit", "-qam", "two")
    return root


def test_a_revision_is_grepped_once(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATCHCHECK_CACHE", str(tmp_path / "cache"))
    first = BaseSearch(GitRevisionTree(repo, "HEAD~1"), ["VM_ONE"], ("mm",))
    assert first.process is not None and first.listed() == {"mm/a.c"}
    again = BaseSearch(GitRevisionTree(repo, "HEAD~1"), ["VM_ONE"], ("mm",))
    assert again.process is None and again.listed() == {"mm/a.c"}
    later = BaseSearch(GitRevisionTree(repo, "HEAD"), ["VM_ONE"], ("mm",))  # another tree: searched
    assert later.process is not None and later.listed() == {"mm/a.c", "mm/b.c"}
    other_words = BaseSearch(GitRevisionTree(repo, "HEAD~1"), ["VM_TWO"], ("mm",))
    assert other_words.process is not None and other_words.listed() == set()
