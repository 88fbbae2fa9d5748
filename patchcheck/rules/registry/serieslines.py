"""The lines a series adds and removes, per file, with where each added line ends up: what the rules that
judge a series by its diff read (with or without a tree)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from patchcheck.rules.base import CheckContext
from patchcheck.rules.packs.seriesview import SeriesView, view_of


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
    view = view_of(ctx.series)
    assert view is not None
    removed: list[SeriesLine] = []
    context: list[SeriesLine] = []
    patches: list[Any] = list(getattr(ctx.series, "patches", ()) or ())
    for position, patch in enumerate(patches[:upto], start=1):
        for file in getattr(getattr(patch, "diff", None), "files", ()) or ():
            for hunk in file.hunks:
                for line in hunk.lines:
                    if line.kind == "-":
                        removed.append(SeriesLine(file.old_path or file.path, line.text, position, None))
                    elif line.kind == " ":
                        context.append(SeriesLine(file.path, line.text, position, None))
    lines = SeriesLines(_added(view, upto), removed, context, len(getattr(ctx.series, "missing", ()) or ()))
    ctx.cache["series_lines"] = lines
    return lines


def _added(view: SeriesView, upto: int) -> list[SeriesLine]:
    patches = view.upto(upto)
    found: list[SeriesLine] = []
    touching: dict[str, list[int]] = {}  # path -> positions of the patches with hunks in it
    for position, patch in enumerate(patches):
        for path in patch.hunks:
            touching.setdefault(path, []).append(position)
    for position, patch in enumerate(patches):
        for added in patch.added:
            line: int | None = added.line
            for later in touching.get(added.path, ()):  # a patch that leaves the file alone moves nothing
                if later > position:
                    line = patches[later].carry(added.path, line) if line is not None else None
            if line is not None:
                found.append(
                    SeriesLine(added.path, added.text, patch.index, line, added.function, added.near)
                )
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
