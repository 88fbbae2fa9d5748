"""Verify shares work between the states of a series: the registry of unchanged model and Kconfig files,
the findings of a checker none of whose files changed, PC101's per-file uses. None of it may change a
finding: every state must report exactly what a fresh run on that tree reports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from patchcheck.report.finding import Finding
from patchcheck.rules.base import CheckContext, RuleDoc
from patchcheck.rules.engine import StateReuse, changed_paths, run_checkers, verify_states
from patchcheck.rules.registry import registry_checkers
from patchcheck.rules.registry.common import registry
from patchcheck.source.tree import DirectoryTree, OverlayTree
from tests.registry.conftest import REGISTRY, scenario_tree, scenarios


def test_changed_paths_between_states_of_one_series() -> None:
    base = DirectoryTree(REGISTRY / "base")
    one = OverlayTree(base, {"mm/a.c": b"1", "mm/b.c": b"2"})
    two = OverlayTree(base, {"mm/a.c": b"1", "mm/b.c": b"3", "mm/c.c": None})
    assert changed_paths(base, one) == {"mm/a.c", "mm/b.c"}
    assert changed_paths(one, two) == {"mm/b.c", "mm/c.c"}
    assert changed_paths(one, OverlayTree(DirectoryTree(REGISTRY / "base"), {})) is None


class CountingChecker:
    """A TreeChecker reading only mm.h, counting its runs."""

    rules: tuple[RuleDoc, ...] = ()

    def __init__(self) -> None:
        self.runs = 0

    def reads(self, path: str) -> bool:
        return path == "include/linux/mm.h"

    def run(self, ctx: CheckContext) -> Iterable[Finding]:
        self.runs += 1
        return ()


def test_a_tree_checker_runs_again_only_when_a_file_it_reads_changed() -> None:
    base = DirectoryTree(REGISTRY / "base")
    mm_h = (REGISTRY / "base" / "include/linux/mm.h").read_bytes()
    states = [
        base,
        OverlayTree(base, {"mm/x.c": b"int x;\n"}),
        OverlayTree(base, {"mm/x.c": b"int x;\n", "include/linux/mm.h": mm_h + b"\n"}),
        OverlayTree(base, {"mm/x.c": b"int y;\n", "include/linux/mm.h": mm_h + b"\n"}),
    ]
    checker = CountingChecker()
    verify_states(states, checkers=[checker])
    assert checker.runs == 2


def test_states_share_the_registry_only_while_its_files_are_the_same() -> None:
    memo: dict[Any, Any] = {}
    base = scenario_tree("base")
    same = OverlayTree(base, {"mm/x.c": b"int x;\n"})
    other = scenario_tree("pc202-ppc32-guard-mismatch")
    first = registry(CheckContext(tree=base, memo=memo))
    assert registry(CheckContext(tree=same, memo=memo)) is first
    assert registry(CheckContext(tree=other, memo=memo)) is not first


def test_every_state_reports_what_a_fresh_run_reports() -> None:
    """All fixture scenarios as the states of one long series, in two orders."""
    names = ["base", *scenarios()]
    for order in (names, names[::-1]):
        states = [scenario_tree(n) for n in order]
        checkers = registry_checkers()
        memo: dict[Any, Any] = {}
        reuse = StateReuse()
        for name, tree in zip(order, states, strict=True):
            reuse.advance(tree)
            shared = run_checkers(checkers, CheckContext(tree=tree, memo=memo), reuse=reuse)
            fresh = run_checkers(registry_checkers(), CheckContext(tree=tree))
            assert shared.findings == fresh.findings, name
            assert shared.skipped == fresh.skipped, name
