"""Two cores: the checkers that parse no C run in a forked child. The report must be the one a single
process gives, whatever happens to the child."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import pytest

import tests.source.test_journal
from patchcheck.intake import load_series
from patchcheck.report.finding import Finding, Location, Report, Severity
from patchcheck.rules import forked
from patchcheck.rules.base import CheckContext, RuleDoc
from patchcheck.rules.engine import audit, builtin_checkers, verify_series
from patchcheck.rules.forked import Forked, second_core_available
from patchcheck.rules.states import check_states
from patchcheck.source.tree import DirectoryTree
from tests.registry.conftest import REGISTRY, scenario_tree, scenarios

PACKS = Path(__file__).resolve().parents[2] / "fixtures" / "packs"

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")


@pytest.fixture(autouse=True)
def _two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """The split is decided by the machine; these tests want it whatever the machine has."""
    monkeypatch.setattr("patchcheck.rules.states.second_core_available", lambda: True)


@pytest.mark.parametrize("name", scenarios())
def test_audit_of_every_registry_scenario_is_the_same_on_two_cores(name: str) -> None:
    tree = scenario_tree(name)
    assert audit(tree, parallel=True) == audit(tree, parallel=False)


@pytest.mark.parametrize("name", [n for n in scenarios() if n.startswith(("pc102", "pc202", "pc301"))])
def test_verify_of_a_registry_scenario_is_the_same_on_two_cores(name: str) -> None:
    series = load_series(str(REGISTRY / f"{name}.patch"))
    base = DirectoryTree(REGISTRY / "base")
    one = verify_series(series, base, parallel=False)
    assert one.findings  # a scenario with something to say: the comparison compares something
    assert verify_series(series, base, parallel=True) == one


@pytest.mark.parametrize("mbox", sorted((PACKS / "series").glob("*.mbox")), ids=lambda p: p.stem)
def test_verify_of_a_series_without_a_tree_is_the_same_on_two_cores(mbox: Path) -> None:
    series = load_series(str(mbox))
    assert verify_series(series, None, parallel=True) == verify_series(series, None, parallel=False)


class DiesInAChild:
    """A registry-side checker that fails in any process but the test's own (a crash of the child)."""

    rules = (RuleDoc("PC999", "test-rule", Severity.ERROR, "s", "w", "y", "e", "f", ()),)

    def __init__(self, how: str) -> None:
        self.parent, self.how = os.getpid(), how

    def run(self, ctx: CheckContext) -> Iterable[Finding]:
        if os.getpid() != self.parent:
            if self.how == "signal":
                os.kill(os.getpid(), signal.SIGKILL)
            raise RuntimeError("the child breaks")
        return [Finding("PC999", Severity.ERROR, "found", Location("mm/x.c", 1), None, "fix")]


@pytest.mark.parametrize("how", ["exception", "signal"])
def test_a_child_that_fails_leaves_its_work_to_the_parent(how: str) -> None:
    tree = DirectoryTree(REGISTRY / "base")
    checkers = [DiesInAChild(how), *builtin_checkers()]
    serial = audit(tree, checkers=checkers, parallel=False)
    assert any(f.rule_id == "PC999" for f in serial.findings)
    assert audit(tree, checkers=checkers, parallel=True) == serial


def test_forked_hands_back_plain_data_and_nothing_else() -> None:
    assert Forked(lambda: [Report(skipped=["x"])]).result(list[Report]) == [Report(skipped=["x"])]
    assert Forked(lambda: {"a": 1}).result(list[Report]) is None  # not the shape asked for
    assert Forked(lambda: object()).result(object) is None  # not plain data
    assert Forked(lambda: os._exit(0)).result(list[int]) is None  # gone without a word


def test_an_abandoned_child_is_ended(tmp_path: Path) -> None:
    marker = tmp_path / "still-running"

    def slow() -> int:
        import time

        time.sleep(5)
        marker.write_text("the child outlived its parent's interest")
        return 1

    with Forked(slow) as child:
        pass
    assert child.result(int) is None
    assert not marker.exists()


def test_one_core_or_jobs_1_means_no_child(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATCHCHECK_JOBS", "1")
    assert not second_core_available()


def test_output_order_is_the_same_in_every_process() -> None:
    """Findings gathered in sets come out in one order (string hashes differ between processes)."""
    mbox = str(PACKS / "series" / "new-flag-partial.mbox")
    outputs = {
        subprocess.run(
            [sys.executable, "-m", "patchcheck", "verify", mbox, "--format", "json"],
            env={**os.environ, "PYTHONHASHSEED": str(seed), "PATCHCHECK_JOBS": "1"},
            capture_output=True,
            check=False,
        ).stdout
        for seed in (1, 2, 3)
    }
    assert len(outputs) == 1


class WritesItsPid:
    """A registry-side checker that says which process ran it."""

    rules = (RuleDoc("PC998", "test-rule", Severity.ERROR, "s", "w", "y", "e", "f", ()),)

    def __init__(self, where: Path) -> None:
        self.where = where

    def run(self, ctx: CheckContext) -> Iterable[Finding]:
        with self.where.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return ()


def test_the_registry_side_runs_in_the_child_and_only_there(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    audit(DirectoryTree(REGISTRY / "base"), checkers=[WritesItsPid(pids), *builtin_checkers()], parallel=True)
    (ran,) = pids.read_text().split()
    assert int(ran) != os.getpid()


def test_a_child_reads_a_git_revision_through_its_own_git(tmp_path: Path) -> None:
    from patchcheck.source.tree import GitRevisionTree

    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path)}
    for args in (
        ["init", "-q"],
        ["add", "."],
        ["-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "x"],
    ):
        if args[0] == "add":
            for name in ("a.c", "b.c"):
                (tmp_path / name).write_text(f"int {name[0]};\n")
        subprocess.run(["git", *args], cwd=tmp_path, env=env, check=True, capture_output=True)
    tree = GitRevisionTree(tmp_path, "HEAD")
    assert tree.read_bytes("a.c") == b"int a;\n"  # the parent's git cat-file is running now
    assert Forked(lambda: tree.read_bytes("b.c")).result(bytes) == b"int b;\n"
    assert tree.read_bytes("b.c") == b"int b;\n"  # and still answers the parent, in step


def test_what_the_childs_reads_refused_reaches_the_parent(tmp_path: Path) -> None:
    import shutil

    tree = tmp_path / "tree"
    shutil.copytree(REGISTRY / "base", tree)
    outside = tmp_path / "outside-Kconfig"
    outside.write_bytes((tree / "Kconfig").read_bytes())
    (tree / "Kconfig").unlink()
    (tree / "Kconfig").symlink_to(outside)
    source = DirectoryTree(tree)
    audit(source, parallel=True)
    assert source.outside == {"Kconfig": str(outside)}


def test_the_value_arrives_before_the_child_saves(tmp_path: Path) -> None:
    # The child's cache writes run after it has handed its value over: the parent goes on meanwhile, and
    # the child is left to finish (reaped later), never killed for being slow to save.
    go, saved = tmp_path / "go", tmp_path / "saved"

    def save() -> None:
        import time

        for _ in range(1000):  # until the parent says go (10 s at most)
            if go.exists():
                break
            time.sleep(0.01)
        saved.write_text("saved")

    with Forked(lambda: [1, 2], on_exit=save) as child:
        assert child.result(list[int]) == [1, 2]
        assert not saved.exists()
    go.write_text("go")
    forked._reap_saving(timeout=10)
    assert saved.read_text() == "saved" and not forked._saving


@pytest.mark.parametrize("size", [1, (64 << 10) - 20, 64 << 10, (1 << 20) - 20, 1 << 20, 3 << 20])
def test_a_value_of_any_size_arrives_whole_while_the_child_saves(size: int) -> None:
    # Sent at once when the pipe holds it (made as large as allowed), the rest by a thread meanwhile.
    def save() -> None:
        import time

        time.sleep(0.2)

    with Forked(lambda: "x" * size, on_exit=save) as child:
        assert child.result(str) == "x" * size


class SearchesInTheChild:
    """A registry-side checker that greps mm/ (as PC101 does) and takes `delay`."""

    rules = (RuleDoc("PC997", "test-search", Severity.ERROR, "s", "w", "y", "e", "f", ()),)

    def __init__(self, where: Path, delay: float) -> None:
        self.where, self.delay = where, delay

    def run(self, ctx: CheckContext) -> Iterable[Finding]:
        import time

        from patchcheck.source import search as grep

        assert isinstance(ctx.tree, DirectoryTree)
        present = ctx.tree.search_roots(["mm"])
        found, complete = grep.listing(
            grep.start(ctx.tree.root, ["VM_READ"], present, (".c", ".h")), (".c", ".h")
        )
        ctx.tree.searched((("VM_READ",), ("mm",), (".c", ".h")), found if complete else None)
        time.sleep(self.delay)
        self.where.write_text(str(os.getpid()))
        return ()


class SlowParent:
    """A checker that parses C (so runs in the parent) and takes `delay`."""

    rules = (RuleDoc("PC996", "test-slow", Severity.ERROR, "s", "w", "y", "e", "f", ()),)
    parses_c = True

    def __init__(self, delay: float) -> None:
        self.delay = delay

    def run(self, ctx: CheckContext) -> Iterable[Finding]:
        import time

        time.sleep(self.delay)
        return ()


def test_the_searches_the_child_makes_are_journaled_with_what_they_found(tmp_path: Path) -> None:
    # A kept report stands while each search finds what it found (patchcheck.source.journal): the child's
    # searches reach the parent's journal with their answers.
    import shutil
    import time

    from patchcheck.source import search as grep
    from patchcheck.source.journal import Journal, stamp

    root = tmp_path / "tree"
    shutil.copytree(REGISTRY / "base", root)
    (root / "mm" / "deep").mkdir()
    (root / "mm" / "deep" / "x.c").write_text("int x = VM_READ;\n")
    tests.source.test_journal.aged(root)
    tree = DirectoryTree(root)
    tree.journal = Journal()
    ran = tmp_path / "ran"
    audit(tree, checkers=[SearchesInTheChild(ran, 0.0), SlowParent(0.0), *builtin_checkers()], parallel=True)
    assert int(ran.read_text()) != os.getpid()  # searched in the child
    journal = tree.journaled()
    found = {
        p for p in tree.list_files("mm") if p.endswith((".c", ".h")) and b"VM_READ" in (root / p).read_bytes()
    }
    assert "mm/deep/x.c" in found
    assert journal.searches[(("VM_READ",), ("mm",), (".c", ".h"))] == grep.digest(found)
    kept = stamp(tree.root, journal, since_ns=time.time_ns())
    assert kept is not None and kept.hold(tree.root)
    (root / "mm" / "deep" / "x.c").write_text("int x;\n")
    assert not kept.hold(tree.root)


def test_the_wait_for_a_saving_child_ends_when_its_saves_do(monkeypatch: pytest.MonkeyPatch) -> None:
    # Woken when the child says its saves are done, not by polling, nor by the end of its process (the
    # system's freeing of its memory takes milliseconds more): the last saves delay a run's exit by nothing.
    def save() -> None:
        import time

        time.sleep(0.05)

    ending = []
    monkeypatch.setattr(forked, "_reaped", lambda pid: ending.append(pid) or False)
    with Forked(lambda: 1, on_exit=save) as child:
        assert child.result(int) == 1
    assert forked._saving
    monkeypatch.setattr(forked.time, "sleep", lambda _: pytest.fail("polled"))
    forked._reap_saving(timeout=10)
    assert not forked._saving and forked._ending  # saves done: the child's end is reaped when it comes
    monkeypatch.undo()
    for _ in range(1000):
        forked._reap_saving()
        if not forked._ending:
            break
        time.sleep(0.01)
    assert ending and not forked._ending


class PreparedInTheParent:
    """A child-side checker whose `prepare` says which process ran it, for each state."""

    rules = (RuleDoc("PC995", "test-prepared", Severity.ERROR, "s", "w", "y", "e", "f", ()),)

    def __init__(self, where: Path) -> None:
        self.where = where

    def prepare(self, ctx: CheckContext) -> None:
        with self.where.open("a") as out:
            out.write(f"{os.getpid()}\n")

    def run(self, ctx: CheckContext) -> Iterable[Finding]:
        return ()


def test_what_the_childs_checkers_can_have_prepared_the_parent_prepares(tmp_path: Path) -> None:
    prepared = tmp_path / "prepared"
    contexts = [CheckContext(tree=DirectoryTree(REGISTRY / "base")) for _ in range(2)]
    check_states([PreparedInTheParent(prepared), SlowParent(0.0)], contexts, parallel=True)
    assert prepared.read_text().split() == [str(os.getpid())] * 2


def test_nothing_is_prepared_for_trees_made_of_hunks(tmp_path: Path) -> None:
    prepared = tmp_path / "prepared"
    contexts = [CheckContext(tree=DirectoryTree(REGISTRY / "base"))]
    check_states([PreparedInTheParent(prepared), SlowParent(0.0)], contexts, diff_only=True, parallel=True)
    assert not prepared.exists()


def test_the_registry_prepares_the_model_tables_it_reads_after_the_kconfig_facts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from patchcheck.model import load as model_load
    from patchcheck.rules.registry import StartReferenceSearch

    monkeypatch.setenv("PATCHCHECK_CACHE", str(tmp_path / "cache"))
    model_load._PRODUCTS.clear()  # a process that has built nothing yet
    StartReferenceSearch().prepare(CheckContext(tree=DirectoryTree(REGISTRY / "base")))
    model_load._PRODUCTS.clear()  # another process: only what the cache holds
    monkeypatch.setattr(model_load, "read_smaps", lambda _: pytest.fail("read again"))
    monkeypatch.setattr(model_load, "read_trace", lambda _: pytest.fail("read again"))
    smaps, trace, _ = model_load.load_model_tables(DirectoryTree(REGISTRY / "base"))
    assert smaps and trace
