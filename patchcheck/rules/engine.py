"""Running checkers: `audit` (one tree) and the verify mode (the tree after each patch of a series).

Verify reports only what a series introduced or changed: a finding present after the last patch and absent
before the first, attributed to the patch from which on it stays. A finding that appears only in the middle
of the series (fixed by a later patch) makes the series non-bisectable: one PC001 finding says after which
patch it is consistent. Without --tree, only rules marked `diff_only` run, on trees made of the text the
diffs show (hunk pre-images before, post-images after); the report lists the rules that were skipped.
"""

from __future__ import annotations

import dataclasses
import importlib
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from patchcheck.report.finding import Finding, Location, Report, Severity
from patchcheck.rules.base import CheckContext, Checker, RuleDoc
from patchcheck.rules.registry import registry_checkers
from patchcheck.rules.registry.common import edits_table
from patchcheck.rules.reuse import StateReuse, changed_paths
from patchcheck.rules.states import check_states, run_checkers
from patchcheck.source.tree import DiffTree, SourceTree, read_text

if TYPE_CHECKING:  # the rules layer reads the intake's types; it imports the intake only to apply a series
    from patchcheck.intake import AppliedState, Series
    from patchcheck.intake.diff import Hunk

NOT_BISECTABLE = RuleDoc(
    id="PC001",
    name="series-not-bisectable",
    severity=Severity.WARNING,
    summary="A patch leaves gaps that only a later patch fills: the commits in between are inconsistent",
    what="Runs the rules on the tree after every patch. A finding that an earlier patch introduces and a "
    "later patch removes means the commits in between are inconsistent. Gaps in a flag's semantic sites "
    "and promises (rule-pack families, PC701, PC702) do not count: a series may wire those up over several "
    "patches.",
    why="Every commit of a series must build and behave (git bisect lands on any of them).",
    example="patch 1 adds VM_X and its smaps entry, patch 3 adds the proc.rst line: patches 1-2 miss it",
    fix="Move the fixing hunk into the patch that introduces the problem.",
    scope=(),
    diff_only=True,
)


def builtin_checkers(pack_dirs: Sequence[Any] = ()) -> list[Checker]:
    """The registry checkers plus the rule packs (when the packs layer is installed). Checkers that
    collect a background search (`collects_search`) run last, so the search overlaps all the others."""
    checkers = [*registry_checkers(), *pack_checkers(pack_dirs)]
    return sorted(checkers, key=lambda c: bool(getattr(c, "collects_search", False)))


def pack_checkers(pack_dirs: Sequence[Any] = ()) -> list[Checker]:
    """Hook into the rule packs layer (patchcheck.rules.packs.load_packs), absent in a partial install."""
    try:
        packs = importlib.import_module("patchcheck.rules.packs")
    except ImportError:
        return []
    # Loaded when first used: the registry checkers' child, when there is one, has started by then.
    loaded: list[Checker] = packs.load_packs(list(pack_dirs), deferred=True)
    return loaded


def audit(
    tree: SourceTree,
    *,
    flags: frozenset[str] | None = None,
    checkers: Sequence[Checker] | None = None,
    parallel: bool = False,
) -> Report:
    """Every built-in checker (registry rules and rule packs) on one tree. `parallel`: the checkers that
    parse no C run in a forked child meanwhile (patchcheck.rules.forked); the report is the same."""
    ctx = CheckContext(tree=tree, flags=flags)
    chosen = list(builtin_checkers() if checkers is None else checkers)
    return check_states(chosen, [ctx], parallel=parallel)[0]


def verify_states(
    states: Sequence[SourceTree],
    *,
    diff_only: bool = False,
    series: Series | None = None,
    flags: frozenset[str] | None = None,
    checkers: Sequence[Checker] | None = None,
    parallel: bool = False,
) -> Report:
    """`states[0]` is the tree before the series, `states[k]` the tree after patch k (1-based). `parallel`:
    as in `audit`."""
    if len(states) < 2:
        return Report()
    chosen = list(builtin_checkers() if checkers is None else checkers)
    memo: dict[Any, Any] = {}
    contexts = [
        CheckContext(tree=tree, flags=flags, series=series, patch_index=index or None, memo=memo)
        for index, tree in enumerate(states)
    ]
    runs = check_states(chosen, contexts, diff_only=diff_only, parallel=parallel)
    keyed = [{_key(f, tree): f for f in run.findings} for run, tree in zip(runs, states, strict=True)]
    before, after = keyed[0], keyed[-1]
    last = len(states) - 1
    report = Report(skipped=list(runs[-1].skipped))
    report.notes = list(runs[-1].notes)
    for key, found in after.items():
        if key in before:
            continue
        since = last
        while since > 1 and key in keyed[since - 1]:
            since -= 1
        report.findings.append(_with_patch(found, since))
    report.findings += _pre_existing(states, before, after, chosen)
    bisect = {doc.id for checker in chosen for doc in checker.rules if doc.bisect}
    transient = [
        (k, f)
        for k in range(1, last)
        for key, f in keyed[k].items()
        if key not in before and key not in after and f.rule_id in bisect
    ]
    if transient:
        fixed_after = max(k for k, _ in transient) + 1
        first = min(k for k, _ in transient)
        # Said as what it is: later patches repair what earlier ones break (other findings may remain).
        report.findings.append(
            Finding(
                NOT_BISECTABLE.id,
                NOT_BISECTABLE.severity,
                f"patch {first} leaves gaps that only patch {fixed_after} of {last} fills: "
                "the commits in between are inconsistent",
                transient[0][1].location,
                None,
                NOT_BISECTABLE.fix,
                tuple(
                    f"after patch {k}: {f.rule_id} {f.message}"
                    + (f" ({_where(f.location)})" if f.location else "")
                    for k, f in transient
                ),
                patch=first,
            )
        )
    report.findings.sort(key=Finding.sort_key)
    return report


_LOWER = {Severity.ERROR: Severity.WARNING, Severity.WARNING: Severity.INFO}


def _pre_existing(
    states: Sequence[SourceTree],
    before: dict[Any, Finding],
    after: dict[Any, Finding],
    chosen: Sequence[Checker],
) -> list[Finding]:
    """Gaps the tree had before the series, in a registry table the series edits ("while you're here, dp
    is missing too"): reported as pre-existing, one severity lower, under the first patch editing it."""
    tables = {doc.id: doc.table for checker in chosen for doc in checker.rules if doc.table}
    edited: dict[str, int | None] = {}
    found: list[Finding] = []
    for key, gap in after.items():
        table = tables.get(gap.rule_id)
        lowered = _LOWER.get(gap.severity)
        if key not in before or table is None or lowered is None:
            continue
        if table not in edited:
            edited[table] = next(
                (k for k in range(1, len(states)) if edits_table(table, states[k - 1], states[k])), None
            )
        patch = edited[table]
        if patch is None:
            continue
        found.append(
            dataclasses.replace(
                gap,
                severity=lowered,
                message=f"{gap.message} (pre-existing)",
                patch=patch,
                pre_existing=True,
                evidence=(
                    *gap.evidence,
                    f"pre-existing: the series edits the table in {table}, not this gap",
                ),
            )
        )
    return found


def verify_series(
    series: Series,
    tree: SourceTree | None,
    *,
    ignore_whitespace: bool = False,
    flags: frozenset[str] | None = None,
    checkers: Sequence[Checker] | None = None,
    applied: Sequence[AppliedState] | None = None,
    parallel: bool = False,
) -> Report:
    """Verify a series (patchcheck.intake.Series): on `tree` patch by patch, or without a tree on the diffs
    alone. InputError when a patch does not apply. `applied` is the series already applied to `tree`
    (apply_series), when the caller has it."""
    if tree is None:
        report = verify_states(
            diff_only_states(series),
            diff_only=True,
            series=series,
            flags=flags,
            checkers=checkers,
            parallel=parallel,
        )
        unread = [(patch, f"{u.what}: {u.reason}") for patch in series.patches for u in patch.diff.unusable]
        unread += [
            (patch, f"{f.path}: binary patch") for patch in series.patches for f in patch.files if f.binary
        ]
    else:
        from patchcheck.intake import apply_series

        if applied is None:
            applied = apply_series(series, tree, ignore_whitespace=ignore_whitespace)
        report = verify_states(
            [tree, *(state.tree for state in applied)],
            series=series,
            flags=flags,
            checkers=checkers,
            parallel=parallel,
        )
        unchecked = sorted({path for state in applied for path in state.unchecked})
        if unchecked:
            report.notes.append(f"not in the tree, so not checked: {', '.join(unchecked)}")
        unread = [(state.patch, reason) for state in applied for reason in state.skipped]
    # A diff part that could not be read (malformed, binary) was not checked: never a silent clean report.
    report.notes += [f"{patch.describe()}: not checked: {reason}" for patch, reason in unread]
    return report


def diff_only_states(series: Series) -> list[SourceTree]:
    """Trees made of what the diffs show: before the series, the hunks' pre-images; after patch k, the
    post-images of every hunk of patches 1..k. Each line sits at its line number in the file (from the hunk
    headers; lines a later patch moved are moved with them), the lines no hunk shows are blank, so a
    finding's line is the line in the patched file."""
    before: dict[str, dict[int, str]] = {}
    shown: dict[str, dict[int, str]] = {}
    states: list[SourceTree] = []
    made: _Made = {}  # holds every lines dict it saw: ids are not reused within the call
    for patch in series.patches:
        for file in patch.files:
            if file.binary:
                continue
            if file.old_path and file.old_path not in before and file.old_path not in shown:
                before[file.old_path] = {
                    hunk.old_start + i: text for hunk in file.hunks for i, text in enumerate(hunk.preimage)
                }
            known = shown.pop(file.old_path, {}) if file.old_path else {}
            if file.new_path:
                shown[file.new_path] = _after_hunks(known, file.hunks)
        states.append(_diff_tree(shown, made))
    return [_diff_tree(before, made), *states]


def _after_hunks(known: dict[int, str], hunks: Sequence[Hunk]) -> dict[int, str]:
    """The lines known of a file (line number -> text) after one patch's hunks: lines a hunk replaces are
    gone, lines below a hunk move by its size change, the hunks' post-images are known. Each known line
    finds its hunk by bisection: the work is (lines + hunks) x log(hunks), whatever the patch."""
    regions = sorted(
        ((h.old_start, h.old_start + h.old_count if h.old_count else h.old_start + 1, h) for h in hunks),
        key=lambda region: region[:2],
    )
    replaced = [(start, end) for start, end, h in regions if h.old_count]
    starts = [start for start, _ in replaced]
    reach = list(accumulate((end for _, end in replaced), max))  # furthest end among regions so far
    by_end = sorted((end, h.new_count - h.old_count) for _, end, h in regions)
    ends = [end for end, _ in by_end]
    shifts = [0, *accumulate(delta for _, delta in by_end)]
    after: dict[int, str] = {}
    for number, text in known.items():
        inside = bisect_right(starts, number)
        if inside and number < reach[inside - 1]:
            continue
        after[number + shifts[bisect_right(ends, number)]] = text
    for h in hunks:
        after.update({h.new_start + i: text for i, text in enumerate(h.postimage)})
    return after


_Made = dict[int, tuple[dict[int, str], bytes, frozenset[int]]]


def _diff_tree(files: dict[str, dict[int, str]], made: _Made) -> DiffTree:
    """The tree of what the diffs show; a file no patch since touched reuses its text (`made`, by the
    identity of its lines), so the states of a long series share their bytes."""
    texts: dict[str, bytes | None] = {}
    shown: dict[str, frozenset[int]] = {}
    for path, lines in files.items():
        entry = made.get(id(lines))
        if entry is None or entry[0] is not lines:
            entry = made[id(lines)] = (lines, _sparse_text(lines), frozenset(lines))
        texts[path], shown[path] = entry[1], entry[2]
    return DiffTree(texts, shown)


# Lines past this number are left out of the trees built from diffs alone: a hunk header may claim any line
# number, and the text is built with every line before it (blank when no hunk shows it).
MAX_SPARSE_LINE = 1_000_000  # above the longest source files of the kernel (generated register headers)


def _sparse_text(lines: dict[int, str]) -> bytes:
    last = min(max(lines, default=0), MAX_SPARSE_LINE)
    return "\n".join(lines.get(n, "") for n in range(1, last + 1)).encode("utf-8", "surrogateescape")


def _key(found: Finding, tree: SourceTree) -> tuple[str, str | None, str | None, str, str]:
    """Identity of a finding across states: its rule, flag, file and the text of the line it points at (so
    a finding that only moved is the same finding; one whose line changed is new)."""
    loc = found.location
    anchor = ""
    if loc is not None and loc.line:
        text = read_text(tree, loc.path)
        lines = text.split("\n") if text is not None else []
        if 0 < loc.line <= len(lines):
            anchor = " ".join(lines[loc.line - 1].split())
    return (found.rule_id, found.flag, loc.path if loc else None, anchor, found.message)


def _where(location: Location) -> str:
    return f"{location.path}:{location.line}" if location.line else location.path


def _with_patch(found: Finding, patch: int) -> Finding:
    return dataclasses.replace(found, patch=patch)


__all__ = [
    "NOT_BISECTABLE",
    "StateReuse",
    "audit",
    "builtin_checkers",
    "changed_paths",
    "diff_only_states",
    "run_checkers",
    "verify_series",
    "verify_states",
]
