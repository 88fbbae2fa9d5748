"""What the pack rules need to know about a series: commit messages and the lines each patch adds.

Built from the intake's series objects (duck-typed, see `view_of`) or straight from diff text, so the
rules work the same with a tree, with a partial tree, and with no tree at all.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

_KEYWORDS = {"if", "else", "while", "for", "switch", "return", "do", "sizeof", "case", "goto", "typeof"}
# `static inline bool name(` / `vm_fault_t name(`: at least a type before the name, not a statement.
_FUNC_DEF = re.compile(r"^(?:[A-Za-z_][\w]*[\s*]+)+?\**([A-Za-z_]\w*)\s*\([^;]*$")
_SECTION_NAME = re.compile(r"([A-Za-z_]\w*)\s*\(")
_DEFINE = re.compile(r"^\s*#\s*define\s+(VM_[A-Z0-9_]+)\b")
_FLAG = re.compile(r"\bVM_[A-Z][A-Z0-9_]*\b")


@dataclass(frozen=True)
class AddedLine:
    path: str
    line: int  # in the file after this patch
    text: str
    function: str | None  # best guess of the enclosing function
    hunk: tuple[str, ...] = ()  # the hunk's post-image (context and added), shared by its added lines
    position: int = 0  # this line's index in `hunk`
    near: tuple[str, ...] = ()  # up to 3 lines either side in the same hunk (context and added)

    @property
    def after(self) -> tuple[str, ...]:
        """Earlier lines of the same hunk (context and added), nearest last. Sliced on demand: a copy per
        added line would make a 100,000-line new file cost memory in the square of its length."""
        return self.hunk[: self.position]


@dataclass
class PatchView:
    index: int  # 1-based position among the patches present (the intake's AppliedState.index + 1)
    subject: str
    message: str
    label: str = ""  # "3/5" as the subject numbers it
    added: list[AddedLine] = field(default_factory=list)
    removed_text: list[str] = field(default_factory=list)
    files: set[str] = field(default_factory=set)
    # Per file, each hunk as (first pre-image line, line kinds " ", "+", "-"): to follow lines across patches.
    hunks: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    _memo: dict[str, set[str]] = field(default_factory=dict, repr=False, compare=False)

    def carry(self, path: str, line: int) -> int | None:
        """Where line `line` of `path` before this patch is after it (None: this patch removed it)."""
        shift = 0
        for old_start, kinds in self.hunks.get(path, ()):
            if line < old_start:
                break
            old, new = old_start, old_start + shift
            for kind in kinds:
                if kind == "+":
                    new += 1
                    continue
                if old == line:
                    return None if kind == "-" else new
                old += 1
                if kind == " ":
                    new += 1
            shift = new - old
        return line + shift

    def carry_all(self, path: str, lines: Iterable[int]) -> dict[int, int]:
        """`carry` for many lines at once, in one sweep over the hunks (lines this patch removed are left
        out): (lines + hunks) x log, where calling `carry` per line would cost lines x hunks."""
        hunks = sorted(self.hunks.get(path, ()), key=lambda hunk: hunk[0])
        moved: dict[int, int] = {}
        index, shift = 0, 0
        inside: dict[int, int | None] | None = None  # old -> new line within hunks[index]
        for line in sorted(lines):
            while index < len(hunks) and hunks[index][0] <= line:
                old_start, kinds = hunks[index]
                old_count = sum(1 for kind in kinds if kind != "+")
                if line < old_start + old_count:
                    if inside is None:
                        inside = _hunk_map(old_start, old_start + shift, kinds)
                    break
                shift += kinds.count("+") - kinds.count("-")
                index, inside = index + 1, None
            if inside is not None and line in inside:
                target = inside[line]
                if target is not None:
                    moved[line] = target
            else:
                moved[line] = line + shift
        return moved

    def defined_flags(self) -> set[str]:
        """The flags this patch defines (computed once: every later state of a verify run asks again)."""
        if "defined" not in self._memo:
            added = {m.group(1) for a in self.added if (m := _DEFINE.match(a.text))}
            removed = {m.group(1) for t in self.removed_text if (m := _DEFINE.match(t))}
            self._memo["defined"] = {
                f for f in added - removed if not f.endswith("_BIT") and not f.startswith("VM_HIGH_ARCH_")
            }
        return set(self._memo["defined"])

    def touched_flags(self) -> set[str]:
        """Flags this patch adds to or removes from code: named in more added lines than removed ones, or
        fewer. A line rewritten around a flag (`VM_A` -> `(VM_A | VM_B)`) leaves it untouched; tests of it
        folded into a helper (six removed, one added in the helper) touch it. Computed once."""
        if "touched" not in self._memo:
            added = Counter(f for a in self.added for f in flags_in(a.text))
            removed = Counter(f for r in self.removed_text for f in flags_in(r))
            self._memo["touched"] = {f for f in added | removed if added[f] != removed[f]}
        return set(self._memo["touched"])


# path -> line in the tree after the patches read -> (index of the patch that added it, its order in the
# series, the added line)
_Placed = dict[str, dict[int, tuple[int, int, "AddedLine"]]]


class AddedLines(Mapping[tuple[str, int], int]):
    """(path, line) -> index of the patch that added the line; read-only, grouped by path."""

    def __init__(self, by_path: _Placed) -> None:
        self._by_path = by_path

    def __getitem__(self, key: tuple[str, int]) -> int:
        return self._by_path[key[0]][key[1]][0]

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, tuple) or len(key) != 2:
            return False
        return key[1] in self._by_path.get(key[0], {})

    def __iter__(self) -> Iterator[tuple[str, int]]:
        return ((path, line) for path, lines in self._by_path.items() for line in lines)

    def __len__(self) -> int:
        return sum(len(lines) for lines in self._by_path.values())

    def placed(self) -> list[tuple[int, AddedLine]]:
        """(line in the tree after the patches read, added line), in the order the series added them."""
        found = [
            (order, line, added)
            for lines in self._by_path.values()
            for line, (_, order, added) in lines.items()
        ]
        return [(line, added) for _, line, added in sorted(found, key=lambda entry: entry[0])]


@dataclass
class SeriesView:
    patches: list[PatchView]
    total: int | None = None
    missing: list[int] = field(default_factory=list)
    # The last added_at() answer: (patches covered, lines added so far), to continue from.
    _added: tuple[int, _Placed] = field(default=(0, {}), repr=False, compare=False)

    def upto(self, index: int | None) -> list[PatchView]:
        return [p for p in self.patches if index is None or p.index <= index]

    def label(self, index: int) -> str:
        found = next((p for p in self.patches if p.index == index), None)
        return found.label if found is not None and found.label else str(index)

    def defined_flags(self, index: int | None = None) -> set[str]:
        return {f for p in self.upto(index) for f in p.defined_flags()}

    def added_at(self, index: int | None = None) -> AddedLines:
        """Lines the series added, as (path, line) in the tree after patch `index`, with the adding patch.

        Built patch by patch from the previous answer (verify asks for every state in turn): each patch
        moves only the lines of the files it touches, so the work is linear in patches and added lines."""
        patches = self.upto(index)
        done, by_path = self._added if self._added[0] <= len(patches) else (0, {})
        by_path = dict(by_path)
        order = sum(len(p.added) for p in patches[:done])
        for patch in patches[done:]:
            touched = set(patch.hunks) | {a.path for a in patch.added}
            for path in touched:
                known = by_path.get(path, {})
                carried = patch.carry_all(path, known)
                by_path[path] = {carried[line]: entry for line, entry in known.items() if line in carried}
            for added in patch.added:
                by_path[added.path][added.line] = (patch.index, order, added)
                order += 1
        self._added = (len(patches), by_path)
        return AddedLines(by_path)

    def incomplete_note(self) -> str | None:
        if not self.missing:
            return None
        total = self.total or len(self.patches) + len(self.missing)
        return f"{len(self.missing)} of {total} patches absent; the site may be in one of them"


def _hunk_map(old: int, new: int, kinds: str) -> dict[int, int | None]:
    """Old line -> new line for each pre-image line of one hunk (None: removed)."""
    mapping: dict[int, int | None] = {}
    for kind in kinds:
        if kind == "+":
            new += 1
        elif kind == "-":
            mapping[old] = None
            old += 1
        else:
            mapping[old] = new
            old, new = old + 1, new + 1
    return mapping


def _function_guess(line: str, current: str | None) -> str | None:
    stripped = line.rstrip()
    if not stripped or stripped.endswith(";") or stripped.startswith(("#", "}", "{", "/", "*")):
        return current
    match = _FUNC_DEF.match(stripped)
    if match and match.group(1) not in _KEYWORDS and stripped.split()[0] not in _KEYWORDS:
        return match.group(1)
    return current


def _add_hunk(
    view: PatchView, path: str, section: str, starts: tuple[int, int], lines: Iterable[tuple[str, str]]
) -> None:
    """`lines` are (kind, text) with kind one of " ", "+", "-"; `starts` the hunk's (old, new) first lines."""
    lines = list(lines)
    old_start, new_start = starts
    kinds = "".join(k for k, _ in lines)
    # A hunk that only adds (-N,0) inserts after line N.
    first = old_start + 1 if not set(kinds) & {" ", "-"} else old_start
    view.hunks.setdefault(path, []).append((first, kinds))
    names = _SECTION_NAME.findall(section or "")
    current = names[0] if names else None
    kept = tuple(value for kind, value in lines if kind != "-")
    view.removed_text.extend(value for kind, value in lines if kind == "-")
    number = new_start
    position = 0
    for kind, value in lines:
        if kind == "-":
            continue
        current = _function_guess(value, current)
        if kind == "+":
            near = tuple(kept[max(0, position - 3) : position + 4])
            view.added.append(AddedLine(path, number, value, current, kept, position, near))
        position += 1
        number += 1


def patch_view_from_diff(index: int, subject: str, message: str, diff: str) -> PatchView:
    """From diff text (used by tests and by callers without the intake)."""
    from unidiff import PatchSet  # type: ignore[attr-defined]  # here: an audit never needs it
    from unidiff.errors import UnidiffParseError

    view = PatchView(index, subject, message)
    try:
        patchset = PatchSet(diff)
    except UnidiffParseError:
        return view
    for patched in patchset:
        path = patched.target_file[2:] if patched.target_file.startswith("b/") else patched.target_file
        if path == "/dev/null":
            continue
        view.files.add(path)
        for hunk in patched:
            kinds = [(line.line_type, line.value.rstrip("\n")) for line in hunk if line.line_type in " +-"]
            _add_hunk(view, path, hunk.section_header, (hunk.source_start, hunk.target_start), kinds)
    return view


def patch_view_from_files(index: int, subject: str, message: str, files: Iterable[Any]) -> PatchView:
    """From the intake's FilePatch records (path / new_path, hunks with new_start, section, lines)."""
    view = PatchView(index, subject, message)
    for file in files:
        if getattr(file, "new_path", "") is None:
            continue  # deleted
        path = str(file.path)
        view.files.add(path)
        for hunk in file.hunks:
            lines = ((ln.kind, ln.text) for ln in hunk.lines)
            _add_hunk(view, path, hunk.section, (hunk.old_start, hunk.new_start), lines)
    return view


def _attr(obj: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return default


def shared_view(ctx: Any) -> SeriesView | None:
    """The series of a CheckContext as a SeriesView, built once per verify run: every state and every
    checker shares it (ctx.memo is shared by the states of one run)."""
    if ctx.series is None:
        return None
    key = ("series-view", id(ctx.series))
    cached = ctx.memo.get(key)
    if cached is None or cached[0] is not ctx.series:
        cached = ctx.memo[key] = (ctx.series, view_of(ctx.series))  # holding the series keeps its id
    view: SeriesView | None = cached[1]
    return view


def view_of(series: Any) -> SeriesView | None:
    """Adapt the intake's series (or None) to a SeriesView (built once per series object: every state of a
    verify run and every rule asks for it)."""
    if series is None or isinstance(series, SeriesView):
        return series
    known = _VIEWS.get(id(series))
    if known is not None and known[0] is series:
        return known[1]
    view = _build_view(series)
    if len(_VIEWS) >= 8:
        _VIEWS.pop(next(iter(_VIEWS)))
    _VIEWS[id(series)] = (series, view)  # holds the series, so its id is not reused while listed
    return view


_VIEWS: dict[int, tuple[Any, SeriesView]] = {}


def _build_view(series: Any) -> SeriesView:
    patches: list[PatchView] = []
    raw_patches: Iterable[Any] = _attr(series, "patches", default=())
    for position, patch in enumerate(raw_patches, start=1):
        counter = _attr(patch, "counter", default=None)
        expected = _attr(patch, "expected", default=None)
        label = f"{counter}/{expected}" if counter and expected else ""
        subject = str(_attr(patch, "title", "subject", default=""))
        message = str(_attr(patch, "message", default=""))
        diff = _attr(patch, "diff", default="")
        if isinstance(diff, str):
            view = patch_view_from_diff(position, subject, message, diff)
        else:
            view = patch_view_from_files(position, subject, message, getattr(diff, "files", ()))
        view.label = label
        patches.append(view)
    missing = list(_attr(series, "missing", default=()))
    total = _attr(series, "expected", "total", default=None)
    return SeriesView(patches, int(total) if total else None, [int(m) for m in missing])


def flags_in(text: str) -> set[str]:
    return set(_FLAG.findall(text))
