"""Which checkers a state of a series must run again, and which give the state before's findings again.

Every checker declares what it reads, in one of two ways:
- a `TreeChecker` (the registry rules) names the tree files it reads, `reads(path)`, and never looks at the
  series: a state whose changes touch none of those files keeps its findings;
- a `SeriesChecker` (the rule packs) reads the tree through a recording view, so the files and directories
  it actually read are known after each run, and says which patches can change its findings beyond the
  files they change, `relevant_patch(series, index)` (a patch that promises something in its message or
  adds a VM_* flag to a line, for the packs). A state whose patch is not relevant and whose changes touch
  nothing the last run read keeps that run's findings and notes.
A checker that declares neither runs on every state.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from patchcheck.report.finding import Finding
from patchcheck.rules.base import CheckContext, Checker
from patchcheck.source.tree import OverlayTree, SourceTree


class SeriesChecker(Checker, Protocol):
    def relevant_patch(self, series: Any, index: int) -> bool:
        """Whether patch `index` (1-based, as CheckContext.patch_index) can change this checker's findings
        other than through the tree files it changes."""
        ...


class RecordingTree:
    """`tree` as a checker sees it, remembering every file it asked for and every directory it listed.
    Anything else (`base`, `label`, `root`) is the tree's own."""

    def __init__(self, tree: SourceTree) -> None:
        self.tree = tree
        self.paths: set[str] = set()
        self.prefixes: set[str] = set()

    @property
    def label(self) -> str:
        return self.tree.label

    def read_bytes(self, path: str) -> bytes | None:
        self.paths.add(path)
        return self.tree.read_bytes(path)

    def list_files(self, prefix: str = "") -> Iterator[str]:
        self.prefixes.add(prefix.strip("/"))
        return self.tree.list_files(prefix)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.tree, name)

    def touched_by(self, changed: frozenset[str]) -> bool:
        if changed & self.paths:
            return True
        return any(not p or path == p or path.startswith(p + "/") for p in self.prefixes for path in changed)


@dataclass
class _Kept:
    findings: list[Finding]
    notes: list[str]
    read: RecordingTree


@dataclass
class StateReuse:
    """Carries findings from one state of a series to the next (see `changed_paths`)."""

    previous: SourceTree | None = None
    changed: frozenset[str] | None = None
    last: dict[int, list[Finding]] = field(default_factory=dict)
    kept: dict[int, _Kept] = field(default_factory=dict)

    def advance(self, tree: SourceTree) -> None:
        self.changed = None if self.previous is None else changed_paths(self.previous, tree)
        self.previous = tree

    def findings(self, checker: Checker, ctx: CheckContext) -> list[Finding]:
        reads = getattr(checker, "reads", None)
        if callable(reads):
            key = id(checker)
            kept = self.last.get(key)
            if kept is not None and self.changed is not None and not any(reads(p) for p in self.changed):
                return kept
            self.last[key] = found = list(checker.run(ctx))
            return found
        relevant = getattr(checker, "relevant_patch", None)
        if not callable(relevant) or ctx.series is None:
            return list(checker.run(ctx))
        return self._series_findings(checker, ctx, relevant(ctx.series, ctx.patch_index or 0))

    def _series_findings(self, checker: Checker, ctx: CheckContext, relevant: bool) -> list[Finding]:
        key = id(checker)
        kept = self.kept.get(key)
        if (
            kept is not None
            and self.changed is not None
            and ctx.patch_index is not None
            and not relevant
            and not kept.read.touched_by(self.changed)
        ):
            ctx.notes.extend(kept.notes)
            return kept.findings
        recording = RecordingTree(ctx.tree)
        view = dataclasses.replace(ctx, tree=recording, notes=[])
        found = list(checker.run(view))
        ctx.notes.extend(view.notes)
        self.kept[key] = _Kept(found, list(view.notes), recording)
        return found


def changed_paths(before: SourceTree, after: SourceTree) -> frozenset[str] | None:
    """The files whose content differs between two states of one series (None: unknown). States are the
    user's tree and overlays of it, as the intake builds them."""
    missing = object()
    if isinstance(after, OverlayTree) and after.base is before:
        return frozenset(after.changes)
    if isinstance(before, OverlayTree) and isinstance(after, OverlayTree) and before.base is after.base:
        paths = before.changes.keys() | after.changes.keys()
        return frozenset(p for p in paths if before.changes.get(p, missing) != after.changes.get(p, missing))
    return None
