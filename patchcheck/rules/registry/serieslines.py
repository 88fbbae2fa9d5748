"""The lines a series adds and removes, per file, with where each added line ends up: what the rules that
judge a series by its diff read (with or without a tree)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from patchcheck.rules.base import CheckContext
from patchcheck.rules.packs.seriesview import SeriesView, shared_view


@dataclass(frozen=True)
class SeriesLine:
    path: str
    text: str
    patch: int  # 1-based position of the patch in the series
    line: int | None  # added lines: the line in the tree after the patches read; removed lines: None
    function: str | None = None  # added lines: the enclosing function, as far as the hunk shows it
    near: tuple[str, ...] = ()  # added lines: up to 3 lines either side in the same hunk


@dataclass
class SeriesLines:
    added: list[SeriesLine]
    removed: list[SeriesLine]
    context: list[SeriesLine]  # lines the hunks show unchanged (with path and patch only)
    missing: int  # patches of the series that are absent

    def added_in(self, path: str) -> list[SeriesLine]:
        return [a for a in self.added if a.path == path]

    def removed_in(self, path: str) -> list[SeriesLine]:
        return [r for r in self.removed if r.path == path]


def series_lines(ctx: CheckContext) -> SeriesLines | None:
    """The lines of the patches up to `ctx.patch_index` (none before the first); None without a series."""
    if ctx.series is None:
        return None
    cached = ctx.cache.get("series_lines")
    if isinstance(cached, SeriesLines):
        return cached
    upto = ctx.patch_index or 0
    view = shared_view(ctx)
    assert view is not None
    # Shared by every state of the run: each patch's lines are made once, and each state's lists hold
    # the same objects (a state holds pointers, not copies: memory stays linear in the series).
    shared = ctx.memo.setdefault(("series-lines", id(ctx.series)), (ctx.series, {}, {}))
    per_patch: dict[int, tuple[Any, list[SeriesLine], list[SeriesLine]]] = shared[1]
    removed: list[SeriesLine] = []
    context: list[SeriesLine] = []
    patches: list[Any] = list(getattr(ctx.series, "patches", ()) or ())
    for position, patch in enumerate(patches[:upto], start=1):
        entry = per_patch.get(position)
        if entry is None or entry[0] is not patch:
            entry = per_patch[position] = (patch, *_unchanged_lines(patch, position))
        removed.extend(entry[1])
        context.extend(entry[2])
    lines = SeriesLines(
        _added(view, upto, shared[2]), removed, context, len(getattr(ctx.series, "missing", ()) or ())
    )
    ctx.cache["series_lines"] = lines
    return lines


def _unchanged_lines(patch: Any, position: int) -> tuple[list[SeriesLine], list[SeriesLine]]:
    """(removed lines, context lines) of one patch."""
    removed: list[SeriesLine] = []
    context: list[SeriesLine] = []
    for file in getattr(getattr(patch, "diff", None), "files", ()) or ():
        for hunk in file.hunks:
            for line in hunk.lines:
                if line.kind == "-":
                    removed.append(SeriesLine(file.old_path or file.path, line.text, position, None))
                elif line.kind == " ":
                    context.append(SeriesLine(file.path, line.text, position, None))
    return removed, context


def _added(view: SeriesView, upto: int, made: dict[tuple[int, int], SeriesLine]) -> list[SeriesLine]:
    """Each added line where it is after patch `upto` (the view carries them patch by patch, linearly).
    `made`: the SeriesLine of each (added line, line number) made so far, reused while the line stays."""
    placed = view.added_at(upto)
    found = []
    for line, added in placed.placed():
        key = (id(added), line)  # the view holds every added line: ids are not reused within the run
        entry = made.get(key)
        if entry is None:
            patch = placed[(added.path, line)]
            entry = made[key] = SeriesLine(added.path, added.text, patch, line, added.function, added.near)
        found.append(entry)
    return found


DEFINE = re.compile(r"^\s*#\s*define\s+(VM_[A-Z0-9_]+)\b\s*(.*?)\s*(?:/\*.*)?$")
# Style B: DECLARE_VMA_BIT(NAME, n) / DECLARE_VMA_BIT_ALIAS(NAME, OTHER) declare VMA_NAME_BIT.
DECLARE = re.compile(r"\bDECLARE_VMA_BIT(_ALIAS)?\s*\(\s*(\w+)\s*,\s*(\w+)\s*\)")
SMAPS_ENTRY = re.compile(r'\[\s*ilog2\s*\(\s*(VM_\w+)\s*\)\s*\]\s*=\s*"([^"]*)"')
TRACE_ENTRY = re.compile(
    r'\{\s*(VM_\w+)\s*,\s*"([^"]*)"\s*\}|IF_HAVE_\w+\s*\(\s*(VM_\w+)\s*,\s*"([^"]*)"\s*\)'
)
DOC_CODE = re.compile(r"^\s{2,}([a-z0-9]{2})\s{2,}\S")


def defined_names(lines: list[SeriesLine]) -> set[str]:
    """VM_* names these lines define (#define, or style B's DECLARE_VMA_BIT*)."""
    names: set[str] = set()
    for entry in lines:
        m = DEFINE.match(entry.text)
        if m:
            names.add(m.group(1))
        for d in DECLARE.finditer(entry.text):
            names.add(f"VM_{d.group(2)}")
    return names


def trace_names(text: str) -> list[tuple[str, str]]:
    return [(m.group(1) or m.group(3), m.group(2) or m.group(4)) for m in TRACE_ENTRY.finditer(text)]
