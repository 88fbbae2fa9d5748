"""The lines a series adds and removes, per file, with where each added line ends up: what the rules that
judge a series by its diff read (with or without a tree)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from patchcheck.rules.base import CheckContext
from patchcheck.rules.packs.seriesview import PatchView, shared_view


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
    """The lines of the patches up to `ctx.patch_index` (none before the first); None without a series.

    The states of a series are checked in order, so each state's lines are the previous state's carried
    through one more patch plus that patch's own: linear in the series, where rebuilding every state's
    lines from the first patch would be quadratic (a thousand-patch series)."""
    if ctx.series is None:
        return None
    cached = ctx.cache.get("series_lines")
    if isinstance(cached, SeriesLines):
        return cached
    upto = ctx.patch_index or 0
    view = shared_view(ctx.memo, ctx.series)
    assert view is not None
    key = ("series-lines", id(ctx.series))
    last = ctx.memo.get(key)
    if last is None or last[0] is not ctx.series or last[1] > upto:
        last = (ctx.series, 0, [], [], [])
    _, done, added, removed, context = last
    patches: list[Any] = list(getattr(ctx.series, "patches", ()) or ())
    for position in range(done + 1, upto + 1):
        new_removed, new_context = _unchanged_and_removed(patches[position - 1], position)
        removed, context = removed + new_removed, context + new_context
        for patch in view.patches:
            if patch.index == position:
                added = _carry(added, patch) + [
                    SeriesLine(a.path, a.text, patch.index, a.line, a.function, a.near)
                    for a in patch.added
                    if a.line is not None
                ]
    ctx.memo[key] = (ctx.series, upto, added, removed, context)
    lines = SeriesLines(added, removed, context, len(getattr(ctx.series, "missing", ()) or ()))
    ctx.cache["series_lines"] = lines
    return lines


def _unchanged_and_removed(patch: Any, position: int) -> tuple[list[SeriesLine], list[SeriesLine]]:
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


def _carry(lines: list[SeriesLine], patch: PatchView) -> list[SeriesLine]:
    """Where `lines` are after `patch` (lines it removes are dropped); one sweep per file."""
    moved: dict[str, dict[int, int]] = {}
    for path in {entry.path for entry in lines if entry.line is not None}:
        if path in patch.hunks:
            wanted = (entry.line for entry in lines if entry.path == path and entry.line is not None)
            moved[path] = patch.carry_all(path, wanted)
    carried: list[SeriesLine] = []
    for entry in lines:
        if entry.line is None or entry.path not in moved:
            carried.append(entry)
        elif entry.line in moved[entry.path]:
            carried.append(replace(entry, line=moved[entry.path][entry.line]))
    return carried


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
