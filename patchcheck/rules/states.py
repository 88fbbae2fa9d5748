"""Checkers on states: one report per state, each checker reusing what it found on the state before when
nothing it reads changed (patchcheck.rules.reuse), and with a second core the checkers that parse no C run
in a forked child meanwhile (patchcheck.rules.forked); the reports are the same either way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence

from patchcheck.report.finding import Finding, Report
from patchcheck.report.progress import progress
from patchcheck.rules.base import CheckContext, Checker, quote_flag
from patchcheck.rules.forked import Forked, second_core_available
from patchcheck.rules.reuse import StateReuse
from patchcheck.source.cache import defer_saves, run_saves
from patchcheck.source.facts import persist_all
from patchcheck.source.journal import Journal
from patchcheck.source.tree import DirectoryTree


def run_checkers(
    checkers: Iterable[Checker],
    ctx: CheckContext,
    *,
    diff_only: bool = False,
    reuse: StateReuse | None = None,
) -> Report:
    """Run `checkers` on `ctx.tree`. A rule whose required files are absent is skipped (and listed), never
    reported clean; with `diff_only` only rules that can decide from the diffs run. With `reuse`, a checker
    nothing it reads changed for since the state before gives that state's findings again
    (patchcheck.rules.reuse)."""
    report = Report()
    ctx.cache.setdefault("diff_only", diff_only)
    for checker in checkers:
        active: set[str] = set()
        for rule in checker.rules:
            if diff_only and not rule.diff_only:
                report.skipped.append(f"{rule.id} {rule.name}: needs the tree (run with --tree)")
                continue
            missing = [p for p in rule.needs if ctx.tree.read_bytes(p) is None]
            if missing and not diff_only:
                report.skipped.append(
                    f"{rule.id} {rule.name}: needs {', '.join(missing)}, absent from the tree"
                )
                continue
            active.add(rule.id)
        if checker.rules and not active:
            continue
        undecided = getattr(checker, "undecided", None)
        if diff_only and callable(undecided):  # what the hunks leave open is listed, never reported clean
            report.skipped += [line for line in undecided(ctx) if line.split(" ", 1)[0] in active]
        found_all = reuse.findings(checker, ctx) if reuse is not None else checker.run(ctx)
        for found in found_all:
            if found.rule_id not in active:
                continue
            if ctx.flags is not None and found.flag is not None and found.flag not in ctx.flags:
                continue
            report.findings.append(quote_flag(found))
    report.findings = sorted(set(report.findings), key=Finding.sort_key)
    report.notes += [n for n in dict.fromkeys(ctx.notes) if n not in report.notes]
    return report


def _segments(chosen: Sequence[Checker]) -> list[list[Checker]]:
    """The checkers in their running order, cut where they change between C-parsing (`parses_c`) and
    not, and with the checkers that collect a background search last (the search then overlaps the rest)."""
    segments: list[list[Checker]] = []
    for checker in sorted(chosen, key=_collects_search):
        if segments and _kind(segments[-1][0]) == _kind(checker):
            segments[-1].append(checker)
        else:
            segments.append([checker])
    return segments


def _collects_search(checker: Checker) -> bool:
    return bool(getattr(checker, "collects_search", False))


def _kind(checker: Checker) -> tuple[bool, bool]:
    return _collects_search(checker), _parses_c(checker)


def _parses_c(checker: Checker) -> bool:
    return bool(getattr(checker, "parses_c", False))


def _segment_reports(
    segment: Sequence[Checker],
    contexts: Sequence[CheckContext],
    diff_only: bool,
    advance: Callable[[], None],
) -> list[Report]:
    """One report per state; each report's notes are only those this segment added."""
    reuse = StateReuse()
    reports = []
    for ctx in contexts:
        reuse.advance(ctx.tree)
        before = len(ctx.notes)
        run = run_checkers(segment, ctx, diff_only=diff_only, reuse=reuse)
        run.notes = ctx.notes[before:]
        reports.append(run)
        advance()
    return reports


def check_states(
    chosen: Sequence[Checker],
    contexts: Sequence[CheckContext],
    *,
    diff_only: bool = False,
    parallel: bool = False,
) -> list[Report]:
    """Every checker on every state, one merged report per state (findings, then what was skipped and the
    notes in the checkers' order). With `parallel`, the segments that parse no C run in a forked child while
    this process runs the others; a child that fails in any way leaves its segments to this process."""
    segments = _segments(chosen)
    mine = [i for i, seg in enumerate(segments) if _parses_c(seg[0])]
    theirs = [i for i in range(len(segments)) if i not in mine]
    by_segment: dict[int, list[Report]] = {}
    child = None
    if parallel and mine and theirs and second_core_available():

        def in_child() -> tuple[list[list[Report]], list[tuple[dict[str, str], Journal]]]:
            defer_saves()  # the Kconfig database is saved while the reports are sent (`run_saves`)
            reports = [_segment_reports(segments[i], contexts, diff_only, _nothing) for i in theirs]
            # The facts are saved before the value is sent, the Kconfig database after: so the saves left at
            # the end last about as long as the parent's own last work.
            persist_all()
            return reports, [(dict(t.outside), t.journaled()) for t in _directory_trees(contexts)]

        child = Forked(in_child, on_exit=run_saves)
        if not diff_only:  # a tree made of hunks has nothing worth preparing
            _prepare([c for i in theirs for c in segments[i]], contexts)
    try:
        total = len(contexts) * (len(mine) if child is not None else len(segments))
        with progress("checking the tree before and after each patch", total=total) as shown:
            for i in mine if child is not None else range(len(segments)):
                by_segment[i] = _segment_reports(segments[i], contexts, diff_only, shown.advance)
        if child is not None:
            done = child.result(tuple[list[list[Report]], list[tuple[dict[str, str], Journal]]])
            trees = _directory_trees(contexts)
            if isinstance(done, tuple) and len(done[0]) == len(theirs) and len(done[1]) == len(trees):
                by_segment.update(zip(theirs, done[0], strict=True))
                for tree, (outside, journal) in zip(trees, done[1], strict=True):
                    tree.outside.update(outside)  # the symlinks the child's reads refused to follow
                    if tree.journal is not None:  # and what they read
                        tree.journal.merge(journal)
            for i in theirs:
                if i not in by_segment:  # the child failed: its segments run here, as without a child
                    by_segment[i] = _segment_reports(segments[i], contexts, diff_only, _nothing)
    finally:
        if child is not None:
            child.close()
    merged = []
    for state in range(len(contexts)):
        parts = [by_segment[i][state] for i in range(len(segments))]
        merged.append(
            Report(
                findings=sorted({f for part in parts for f in part.findings}, key=Finding.sort_key),
                skipped=list(dict.fromkeys(s for part in parts for s in part.skipped)),
                notes=list(dict.fromkeys(n for part in parts for n in part.notes)),
            )
        )
    return merged


def _nothing() -> None:
    pass


def _prepare(checkers: Sequence[Checker], contexts: Sequence[CheckContext]) -> None:
    """What the child's checkers can have prepared for them (patchcheck.rules.base.PreparedChecker), done
    here while the child starts: a failure here only leaves the work to the checker, which meets it again."""
    for checker in checkers:
        prepare = getattr(checker, "prepare", None)
        if not callable(prepare):
            continue
        for ctx in contexts:
            with contextlib.suppress(Exception):
                prepare(ctx)


def _directory_trees(contexts: Sequence[CheckContext]) -> list[DirectoryTree]:
    """The directories under the states' trees, in a fixed order: what their reads learn (the symlinks they
    did not follow, and what they read when it is journaled) the child hands back."""
    found: dict[int, DirectoryTree] = {}
    for ctx in contexts:
        tree: object = ctx.tree
        while tree is not None:
            if isinstance(tree, DirectoryTree):
                found.setdefault(id(tree), tree)
            tree = getattr(tree, "base", None)
    return list(found.values())
