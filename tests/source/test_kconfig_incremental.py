"""A patched tree's Kconfig database is its base's with only the changed files rescanned, and equal to a
database built from scratch."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchcheck.source import kconfig_lazy, kconfig_tree, plaindata
from patchcheck.source.cache import DiskCache
from patchcheck.source.facts import Answer, ConfigFacts
from patchcheck.source.guards import Sym, conj, neg
from patchcheck.source.kconfig_tree import KconfigDB, load_kconfig_keyed
from patchcheck.source.tree import DirectoryTree, OverlayTree

FILES = {
    "Kconfig": 'source "mm/Kconfig"\nsource "arch/$(SRCARCH)/Kconfig"\n',
    "arch/x86/Kconfig": "config X86\n\tdef_bool y\n\tselect ARCH_HAS_FOO\n\tselect HELPER if FOO\n",
    "arch/arm64/Kconfig": "config ARM64\n\tdef_bool y\n",
    "mm/Kconfig": (
        'config FOO\n\tbool "foo"\n\tdepends on ARCH_HAS_FOO\n\n'
        "config ARCH_HAS_FOO\n\tbool\n\n"
        "config HELPER\n\tbool\n\n"
        "config BAR\n\tdef_bool y\n\tdepends on FOO\n\n"
        'choice\n\tprompt "mode"\nconfig MODE_A\n\tbool "a"\nconfig MODE_B\n\tbool "b"\nendchoice\n\n'
        'source "mm/Kconfig.extra"\n'
    ),
    "mm/Kconfig.extra": 'config EXTRA\n\tbool "extra"\n\tselect HELPER\n',
}

EDITS = {
    "new symbol that selects": (
        "mm/Kconfig",
        "config HELPER\n",
        "config NEED_X\n\tdef_bool y\n\tselect HELPER\n\nconfig HELPER\n",
    ),
    "select dropped": ("arch/x86/Kconfig", "\tselect ARCH_HAS_FOO\n", ""),
    "dependency changed": ("mm/Kconfig", "\tdepends on FOO\n", "\tdepends on FOO && X86\n"),
    "second definition": (
        "mm/Kconfig.extra",
        "config EXTRA\n",
        'config FOO\n\tbool "foo"\n\tdepends on ARM64\n\nconfig EXTRA\n',
    ),
    "symbol removed": ("mm/Kconfig.extra", 'config EXTRA\n\tbool "extra"\n\tselect HELPER\n', ""),
    "choice member added": ("mm/Kconfig", "endchoice\n", 'config MODE_C\n\tbool "c"\nendchoice\n'),
    "source added": (
        "mm/Kconfig",
        'source "mm/Kconfig.extra"\n',
        'source "mm/Kconfig.extra"\nsource "mm/Kconfig.new"\n',
    ),
}


def make_tree(root: Path) -> DirectoryTree:
    for path, text in FILES.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return DirectoryTree(root)


def unpacked(db: KconfigDB) -> tuple[object, ...]:
    return (
        db.arches,
        db.sourced_from,
        {k: plaindata.loads(v) for k, v in db.packed_definitions.items()},
        {k: sorted(plaindata.loads(v)) for k, v in db.packed_selectors.items()},
        {k: sorted(v) for k, v in db.choices.items()},
    )


class ScanCounter:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        real = kconfig_lazy.scan_kconfig

        def counting(path: str, text: str):  # type: ignore[no-untyped-def]
            self.paths.append(path)
            return real(path, text)

        monkeypatch.setattr(kconfig_lazy, "scan_kconfig", counting)  # every scan: discovery's, lazy, derived


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_derived_database_equals_a_full_scan(
    edit: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = make_tree(tmp_path / "tree")
    cache = DiskCache(tmp_path / "cache")
    load_kconfig_keyed(tree, cache)[1].complete()  # as a base is from its first derivation on (see below)
    path, old, new = EDITS[edit]
    text = FILES[path]
    assert old in text
    patched = OverlayTree(
        tree,
        {path: text.replace(old, new, 1).encode(), "mm/Kconfig.new": b"config NEW\n\tbool\n"}
        if edit == "source added"
        else {path: text.replace(old, new, 1).encode()},
    )
    scans = ScanCounter(monkeypatch)
    discoveries: list[object] = []
    discover = kconfig_tree._discover
    monkeypatch.setattr(kconfig_tree, "_discover", lambda *a: discoveries.append(a) or discover(*a))
    _, derived = load_kconfig_keyed(patched, cache)
    monkeypatch.setattr(kconfig_tree, "_discover", discover)
    assert len(discoveries) == (edit == "source added")
    if edit == "source added":  # the graph of files changed: the tree is discovered again
        assert sorted(set(scans.paths)) == [path]  # (to find that out, the file was scanned)
    else:
        assert sorted(set(scans.paths)) == [path]  # before and after: nothing else is read
    scratch = OverlayTree(tree, dict(patched.changes))
    full, _ = kconfig_tree._discover(scratch, DiskCache(tmp_path / "other"))
    assert unpacked(derived) == unpacked(full)


def test_a_lazily_built_base_is_completed_once_and_saved_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = make_tree(tmp_path / "tree")
    cache = DiskCache(tmp_path / "cache")
    load_kconfig_keyed(tree, cache)  # discovered: only the files with `source` lines scanned
    path, old, new = EDITS["dependency changed"]
    patched = OverlayTree(tree, {path: FILES[path].replace(old, new, 1).encode()})
    scans = ScanCounter(monkeypatch)
    load_kconfig_keyed(patched, cache)
    assert {"arch/x86/Kconfig", "mm/Kconfig.extra"} <= set(scans.paths)  # the base completed
    monkeypatch.setattr(kconfig_tree, "_loaded", {})  # a later process, and another patch: the base as saved
    scans.paths.clear()
    path, old, new = EDITS["choice member added"]
    _, derived = load_kconfig_keyed(
        OverlayTree(tree, {path: FILES[path].replace(old, new, 1).encode()}), cache
    )
    assert sorted(set(scans.paths)) == [path]
    assert derived.lazy is None or derived.lazy.full is not None


def test_facts_of_a_patched_tree_follow_its_kconfig(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "tree")
    cache = DiskCache(tmp_path / "cache")
    base = ConfigFacts.from_tree(tree, cache)
    assert base.satisfiable(conj(Sym("FOO"), Sym("ARCH_HAS_FOO"))) is Answer.YES
    path, old, new = EDITS["select dropped"]
    patched = OverlayTree(tree, {path: FILES[path].replace(old, new).encode()})
    assert base.satisfiable(conj(Sym("EXTRA"), neg(Sym("HELPER")))) is Answer.NO
    after = ConfigFacts.from_tree(patched, cache, base=base)
    # what the patch did not touch is taken over; what it did is encoded again
    assert Sym("EXTRA") in after._inherited and Sym("FOO") in after._inherited
    assert Sym("ARCH_HAS_FOO") not in after._inherited
    assert after.satisfiable(Sym("FOO")) is Answer.NO  # nothing selects ARCH_HAS_FOO any more
    assert after.satisfiable(conj(Sym("EXTRA"), neg(Sym("HELPER")))) is Answer.NO
    fresh = ConfigFacts.from_tree(patched, DiskCache(tmp_path / "fresh"))
    for question in (Sym("FOO"), Sym("BAR"), conj(Sym("X86"), Sym("HELPER")), Sym("MODE_A")):
        assert after.satisfiable(question) is fresh.satisfiable(question)


def test_verify_of_a_series_that_changes_kconfig_rescans_only_what_it_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bundled example series changes mm/Kconfig: every other Kconfig file is scanned once, for the
    tree before the series, and mm/Kconfig again only as its patch changes it."""
    from collections import Counter

    from patchcheck.intake import load_series
    from patchcheck.rules.engine import verify_series

    repo = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("PATCHCHECK_CACHE", str(tmp_path / "cache"))
    series = load_series(str(repo / "fixtures/example/series.mbox"))
    changed = {f.path for p in series.patches for f in p.files if "Kconfig" in f.path}
    assert changed == {"mm/Kconfig"}
    scans = ScanCounter(monkeypatch)
    verify_series(series, DirectoryTree(repo / "fixtures/example/tree"))
    count = Counter(scans.paths)
    assert len(count) > 1
    assert all(n == 1 for path, n in count.items() if path not in changed), count
    assert count["mm/Kconfig"] <= 3  # the base, then the one patch's before and after


def test_a_git_revision_reads_its_kconfig_in_one_batch_and_shares_the_database(tmp_path: Path) -> None:
    """Every Kconfig file of a revision comes from one `git cat-file --batch` round trip, and another
    revision with the same Kconfig files finds the same database without scanning any."""
    import subprocess

    from patchcheck.source.tree import GitRevisionTree

    root = tmp_path / "repo"
    make_tree(root)
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@e.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@e.invalid",
        "PATH": "/usr/bin:/bin",
    }
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "one"]):
        subprocess.run(["git", *args], cwd=root, check=True, env=env, capture_output=True)
    (root / "README").write_text("not Kconfig\n")
    for args in (["add", "-A"], ["commit", "-qm", "two"]):
        subprocess.run(["git", *args], cwd=root, check=True, env=env, capture_output=True)
    cache = DiskCache(tmp_path / "cache")
    first = GitRevisionTree(root, "HEAD~1")
    key, db = load_kconfig_keyed(first, cache)
    assert first._fetched == {}  # every prefetched file was handed out
    assert unpacked(db) == unpacked(kconfig_tree._discover(DirectoryTree(root), DiskCache(tmp_path / "x"))[0])
    second = GitRevisionTree(root, "HEAD")
    assert kconfig_tree.cached_kconfig_key(second, cache) == key


def test_another_revision_rescans_only_the_kconfig_files_it_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hooks check each patch against its commit's parent: a revision that changes mm/Kconfig reads
    that file's two versions by blob id and takes the rest of the database over."""
    import subprocess

    from patchcheck.source.tree import GitRevisionTree

    root = tmp_path / "repo"
    make_tree(root)
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@e.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@e.invalid",
        "PATH": "/usr/bin:/bin",
    }
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "one"]):
        subprocess.run(["git", *args], cwd=root, check=True, env=env, capture_output=True)
    path, old, new = EDITS["dependency changed"]
    (root / path).write_text(FILES[path].replace(old, new))
    for args in (["commit", "-qam", "two"],):
        subprocess.run(["git", *args], cwd=root, check=True, env=env, capture_output=True)
    cache = DiskCache(tmp_path / "cache")
    load_kconfig_keyed(GitRevisionTree(root, "HEAD~1"), cache)
    scans = ScanCounter(monkeypatch)
    _, derived = load_kconfig_keyed(GitRevisionTree(root, "HEAD"), cache)
    assert sorted(set(scans.paths)) == [path] and len(scans.paths) == 2
    full, _ = kconfig_tree._discover(DirectoryTree(root), DiskCache(tmp_path / "other"))
    assert unpacked(derived) == unpacked(full)


def test_a_session_restored_without_its_literal_memo_answers_the_same() -> None:
    from patchcheck.source.sat import SatSession

    a, b, c = Sym("A"), Sym("B"), Sym("C")
    session = SatSession()
    session.assert_formula(conj(a, neg(conj(b, c))))
    questions = [conj(b, c), conj(a, b), neg(a), conj(b, neg(c))]
    before = [session.satisfiable([session.literal(q)]) for q in questions]
    restored = SatSession(session.state(memo=False))
    assert restored.state().lit == {}
    assert (
        [restored.satisfiable([restored.literal(q)]) for q in questions]
        == before
        == [False, True, False, True]
    )


@pytest.mark.parametrize("word", ["select", "imply"])
def test_facts_of_a_symbol_are_encoded_again_when_a_selector_of_it_changes(tmp_path: Path, word: str) -> None:
    """T's facts include where its selectors (and impliers) can be set: a patch that drops a `depends on`
    of the selector changes T's facts though T's own lines and the select line stay the same."""
    root = tmp_path / "tree"
    (root / "arch" / "x86").mkdir(parents=True)
    (root / "arch" / "x86" / "Kconfig").write_text("config X86\n\tdef_bool y\n")
    kconfig = f'source "arch/$(SRCARCH)/Kconfig"\n\nconfig A\n\tbool "a"\n\tdepends on B\n\t{word} T\n\n'
    kconfig += 'config B\n\tbool "b"\n\nconfig T\n\tbool\n'
    (root / "Kconfig").write_text(kconfig)
    tree = DirectoryTree(root)
    cache = DiskCache(tmp_path / "cache")
    question = conj(Sym("A"), Sym("T"), neg(Sym("B")))
    base = ConfigFacts.from_tree(tree, cache)
    assert base.satisfiable(question) is Answer.NO
    patched = OverlayTree(tree, {"Kconfig": kconfig.replace("\tdepends on B\n", "\t# any B\n").encode()})
    after = ConfigFacts.from_tree(patched, cache, base=base)
    assert Sym("T") not in after._inherited
    fresh = ConfigFacts.from_tree(patched, DiskCache(tmp_path / "fresh"))
    assert after.satisfiable(question) is fresh.satisfiable(question) is Answer.YES


def test_a_derivation_that_falls_back_to_a_scan_leaves_a_lazy_base_as_it_was(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "tree")
    cache = DiskCache(tmp_path / "cache")
    _, base = load_kconfig_keyed(tree, cache)
    path, old, new = EDITS["source added"]  # the graph of files changes: no derivation
    changes = {path: FILES[path].replace(old, new, 1).encode(), "mm/Kconfig.new": b"config NEW\n\tbool\n"}
    _, patched = load_kconfig_keyed(OverlayTree(tree, changes), cache)
    assert base.lazy is not None and base.lazy.full is None
    assert [d.path for d in patched.definitions_of("NEW")] == ["mm/Kconfig.new"]
