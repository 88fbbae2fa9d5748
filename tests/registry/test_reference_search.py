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


def test_the_search_starts_before_the_kconfig_facts_are_built(monkeypatch: pytest.MonkeyPatch) -> None:
    # It runs while the facts are built: for the flags mm.h defines under a condition, a superset of
    # those some configuration leaves undefined (which the facts decide, and PC101 then reads for).
    from patchcheck.rules.engine import audit
    from patchcheck.rules.registry import common, registry_checkers, uses
    from tests.registry.conftest import scenario_tree

    events: list[str] = []
    real_search, real_facts = uses.ReferenceSearch.__init__, common.ConfigFacts.from_tree

    def search(self: uses.ReferenceSearch, *args: object, **kwargs: object) -> None:
        real_search(self, *args, **kwargs)  # type: ignore[arg-type]
        events.append("search " + " ".join(self.words))

    def facts(*args: object, **kwargs: object) -> object:
        events.append("facts")
        return real_facts(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(uses.ReferenceSearch, "__init__", search)
    monkeypatch.setattr(common.ConfigFacts, "from_tree", facts)
    report = audit(scenario_tree("pc101-undefined-use"), checkers=registry_checkers())
    assert events[0].startswith("search ") and events[1] == "facts" and len(events) == 2
    assert [f.rule_id for f in report.findings] == ["PC101"]
