"""Applying a series in memory, patch by patch, as strictly as `git am`.

Context must match exactly (hunks may move: offsets are allowed; fuzz only when asked for, as GNU patch's
`--fuzz N`: up to N lines of leading and trailing context may be ignored); with `ignore_whitespace`, lines
are compared with whitespace runs squeezed and ends trimmed, which also absorbs the indentation web archives
lose. Nothing is written: each patch yields an `OverlayTree` over the user's tree.

Partial trees: a file the tree does not have is not an error. Its hunks are "not checked" and the state says
so, because a sparse checkout or a handful of copied files is a normal way to run. A file that IS present
must match, and a mismatch is a hard failure naming the patch, file and hunk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace

from patchcheck.errors import InputError
from patchcheck.intake.diff import FilePatch, FileStatus, Hunk
from patchcheck.intake.series import Patch, Series
from patchcheck.source.tree import OverlayTree, SourceTree, decode_source

_CONTEXT_SHOWN = 12


@dataclass(frozen=True)
class FileChange:
    """What one patch did to one file, in the file's post-image line numbers (1-based)."""

    path: str
    old_path: str | None
    status: FileStatus
    added_lines: tuple[int, ...] = ()
    # (first line, last line) of each hunk's post-image; last < first for a hunk that only removes lines.
    hunk_ranges: tuple[tuple[int, int], ...] = ()
    # (hunk number, lines of context ignored) of each hunk applied with fuzz.
    fuzzed: tuple[tuple[int, int], ...] = ()

    def fuzz_at(self, line: int) -> int:
        """The fuzz of the hunk whose post-image holds `line`, 0 when none was fuzzed."""
        for number, fuzz in self.fuzzed:
            first, last = self.hunk_ranges[number - 1]
            if first <= line <= last:
                return fuzz
        return 0

    def describe_fuzz(self) -> list[str]:
        return [
            f"{self.path}: hunk #{number} applied with fuzz {fuzz} (post-image lines "
            f"{self.hunk_ranges[number - 1][0]}-{self.hunk_ranges[number - 1][1]})"
            for number, fuzz in self.fuzzed
        ]

    def added_ranges(self) -> list[tuple[int, int]]:
        """Added lines as inclusive (first, last) runs."""
        runs: list[tuple[int, int]] = []
        for line in self.added_lines:
            if runs and runs[-1][1] == line - 1:
                runs[-1] = (runs[-1][0], line)
            else:
                runs.append((line, line))
        return runs


@dataclass(frozen=True)
class AppliedState:
    """The tree after patch `index` (0-based) of the series, and what that patch changed."""

    index: int
    patch: Patch
    tree: SourceTree
    changes: dict[str, FileChange] = field(default_factory=dict)
    # Files the patch touches that the (partial) tree does not have: their hunks were not checked.
    unchecked: tuple[str, ...] = ()
    # Parts that were skipped (binary, malformed), with the reason.
    skipped: tuple[str, ...] = ()
    ignored_whitespace: bool = False

    @property
    def fuzzed(self) -> list[str]:
        """Each hunk of this patch applied with fuzz, said in words."""
        return [line for change in self.changes.values() for line in change.describe_fuzz()]

    def changed_ranges(self) -> dict[str, list[tuple[int, int]]]:
        return {path: change.added_ranges() for path, change in self.changes.items()}


def apply_series(
    series: Series, tree: SourceTree, *, ignore_whitespace: bool = False, fuzz: int = 0
) -> list[AppliedState]:
    """Apply each patch of `series` to `tree` in memory; one state per patch. InputError on failure.
    `fuzz` lets a hunk ignore up to that many lines of its leading and trailing context."""
    for patch in series.patches:
        for part in patch.diff.unusable:
            if part.hostile:
                raise InputError(f"{patch.describe()}: {part.reason}")
    changes: dict[str, bytes | None] = {}
    states = []
    for index, patch in enumerate(series.patches):
        lenient = ignore_whitespace or patch.reconstructed_from_quote
        view = OverlayTree(tree, changes)
        applier = _PatchApplier(series, patch, view, lenient, fuzz)
        for file in patch.files:
            applier.apply_file(file)
        changes.update(applier.writes)
        states.append(
            AppliedState(
                index=index,
                patch=patch,
                tree=OverlayTree(tree, changes),
                changes=applier.changes,
                unchecked=tuple(applier.unchecked),
                ignored_whitespace=lenient,
                skipped=tuple(applier.skipped) + tuple(f"{u.what}: {u.reason}" for u in patch.diff.unusable),
            )
        )
    return states


def _outward(start: int, last: int) -> Iterator[int]:
    """start, start-1, start+1, start-2, ... within 0..last, generated as needed: a hunk that matches where
    its header says costs one comparison, not a list of every line of the file."""
    yield start
    for step in range(1, max(start, last - start) + 1):
        if start - step >= 0:
            yield start - step
        if start + step <= last:
            yield start + step


def _squeeze(line: str) -> str:
    return " ".join(line.split())


def _leading_context(hunk: Hunk) -> int:
    return next((i for i, line in enumerate(hunk.lines) if line.kind != " "), len(hunk.lines))


def _trim_context(hunk: Hunk, fuzz: int) -> Hunk | None:
    """The hunk without up to `fuzz` lines of its leading and trailing context (GNU patch's fuzz), or None
    when there is no context left to drop, or none would be left to check: a hunk with no context applies
    wherever its line number points (an already applied patch again, or a table's neighbour)."""
    lead = _leading_context(hunk)
    trail = next((i for i, line in enumerate(reversed(hunk.lines)) if line.kind != " "), 0)
    drop_lead, drop_trail = min(fuzz, lead), min(fuzz, trail)
    if drop_lead + drop_trail == 0 or drop_lead + drop_trail >= lead + trail:
        return None
    kept = hunk.lines[drop_lead : len(hunk.lines) - drop_trail]
    return replace(
        hunk,
        old_start=hunk.old_start + drop_lead,
        new_start=hunk.new_start + drop_lead,
        lines=kept,
        old_count=sum(1 for line in kept if line.kind != "+"),
        new_count=sum(1 for line in kept if line.kind != "-"),
        old_ends_without_newline=hunk.old_ends_without_newline and drop_trail == 0,
        new_ends_without_newline=hunk.new_ends_without_newline and drop_trail == 0,
    )


class _PatchApplier:
    def __init__(self, series: Series, patch: Patch, tree: SourceTree, lenient: bool, fuzz: int = 0) -> None:
        self.series, self.patch, self.tree, self.fuzz = series, patch, tree, fuzz
        self.normal: Callable[[str], str] = _squeeze if lenient else (lambda line: line)
        self.writes: dict[str, bytes | None] = {}
        self.changes: dict[str, FileChange] = {}
        self.unchecked: list[str] = []
        self.skipped: list[str] = []

    def read(self, path: str) -> bytes | None:
        return self.writes[path] if path in self.writes else self.tree.read_bytes(path)

    def apply_file(self, file: FilePatch) -> None:
        if file.binary:
            self.skipped.append(f"{file.path}: binary patch not applied")
            return
        if file.status == "added":
            assert file.new_path is not None
            if self.read(file.new_path) is not None:
                self.fail(file, None, f"{file.new_path} already exists in the tree")
            self.write(file, [], True)
            return
        assert file.old_path is not None
        data = self.read(file.old_path)
        if data is None:
            self.unchecked.append(file.old_path)
            return
        text = decode_source(data)
        lines = text.split("\n")
        final_newline = text.endswith("\n") or not text
        if final_newline:
            lines.pop()
        self.write(file, lines, final_newline)

    def write(self, file: FilePatch, lines: list[str], final_newline: bool) -> None:
        added: list[int] = []
        ranges: list[tuple[int, int]] = []
        fuzzed: list[tuple[int, int]] = []
        shift = 0
        for number, whole in enumerate(file.hunks, start=1):
            nominal = whole.old_start - 1 if whole.old_count else whole.old_start
            pos, hunk, fuzz = self.locate(file, number, whole, lines, nominal + shift)
            if fuzz:
                fuzzed.append((number, fuzz))
                nominal += _leading_context(whole) - _leading_context(hunk)
            pre, post = hunk.preimage, hunk.postimage
            replacement, fresh = self.merge(hunk, lines[pos : pos + len(pre)])
            at_end = pos + len(pre) == len(lines)
            grow = len(post) - len(pre)
            added = [a + grow if a >= pos + len(pre) else a for a in added] + [pos + i for i in fresh]
            ranges = [(a + grow, b + grow) if a > pos else (a, b) for a, b in ranges]
            ranges.append((pos + 1, pos + len(post)))
            lines[pos : pos + len(pre)] = replacement
            if at_end and hunk.old_ends_without_newline != hunk.new_ends_without_newline:
                final_newline = not hunk.new_ends_without_newline
            shift = pos - nominal + grow
        if file.status == "deleted":
            if lines:
                self.fail(file, None, f"{file.old_path} is not empty after its deletion patch")
            self.writes[file.path] = None
            self.changes[file.path] = FileChange(file.path, file.old_path, file.status)
            return
        assert file.new_path is not None
        body = "\n".join(lines) + ("\n" if final_newline and lines else "")
        if file.status == "renamed" and file.old_path is not None:
            self.writes[file.old_path] = None
        self.writes[file.new_path] = body.encode("utf-8", errors="surrogateescape")
        self.changes[file.new_path] = FileChange(
            file.new_path,
            file.old_path,
            file.status,
            added_lines=tuple(sorted(a + 1 for a in added)),
            hunk_ranges=tuple(ranges),
            fuzzed=tuple(fuzzed),
        )

    def merge(self, hunk: Hunk, matched: list[str]) -> tuple[list[str], list[int]]:
        """The hunk's post-image; context keeps the tree's own text. Also the indices of added lines."""
        out: list[str] = []
        fresh: list[int] = []
        cursor = 0
        for line in hunk.lines:
            if line.kind == "+":
                fresh.append(len(out))
                out.append(line.text)
            elif line.kind == " ":
                out.append(matched[cursor])
                cursor += 1
            else:
                cursor += 1
        return out, fresh

    def locate(
        self, file: FilePatch, number: int, hunk: Hunk, lines: list[str], expected: int
    ) -> tuple[int, Hunk, int]:
        """Where the hunk applies, the hunk as applied (context trimmed by fuzz), and the fuzz it took."""
        pos = self.find(hunk, lines, expected, anchored=True)
        if pos is not None:
            return pos, hunk, 0
        for fuzz in range(1, self.fuzz + 1):
            trimmed = _trim_context(hunk, fuzz)
            if trimmed is None:
                break
            start = expected + _leading_context(hunk) - _leading_context(trimmed)
            pos = self.find(trimmed, lines, start, anchored=False)
            if pos is not None:
                return pos, trimmed, fuzz
        self.fail(file, (number, hunk, lines), "")
        raise AssertionError("unreachable")

    def find(self, hunk: Hunk, lines: list[str], expected: int, *, anchored: bool) -> int | None:
        """The position nearest `expected` where the hunk's pre-image matches, or None. `anchored`: a hunk
        that starts at line 1, or has no trailing context, must sit at the start or end of the file."""
        pre = [self.normal(line) for line in hunk.preimage]
        leading = next((i for i, line in enumerate(hunk.lines) if line.kind != " "), len(hunk.lines))
        trailing = next((i for i, line in enumerate(reversed(hunk.lines)) if line.kind != " "), 0)
        last = len(lines) - len(pre)
        candidates: Iterable[int]
        if anchored and hunk.old_start <= 1:
            candidates = [0]
        elif anchored and trailing == 0 and leading > 0:
            candidates = [last]
        else:
            candidates = _outward(min(max(expected, 0), max(last, 0)), last)
        normal = self.normal
        first = pre[0] if pre else None
        for pos in candidates:
            if not 0 <= pos <= last or (first is not None and normal(lines[pos]) != first):
                continue
            if all(normal(lines[pos + i]) == pre[i] for i in range(1, len(pre))):
                return pos
        return None

    def fail(self, file: FilePatch, where: tuple[int, Hunk, list[str]] | None, reason: str) -> None:
        base = self.series.base_commit
        base_line = f"series base-commit: {base}" if base else "the series names no base-commit"
        if where is None:
            raise InputError(
                f"{self.patch.describe()} does not apply to {self.tree_label()}: {reason}",
                details=[base_line],
            )
        number, hunk, lines = where
        pre = hunk.preimage
        details = ["expected (context and removed lines):"]
        details += [f"  | {line}" for line in pre[:_CONTEXT_SHOWN]]
        details += self.nearest(pre, lines)
        details.append(base_line)
        raise InputError(
            f"{self.patch.describe()} does not apply: {file.old_path}: hunk #{number} {hunk.header} "
            f"does not match {self.tree_label()}",
            details=details,
        )

    def nearest(self, pre: list[str], lines: list[str]) -> list[str]:
        wanted = [self.normal(line) for line in pre]
        index: dict[str, list[int]] = {}
        for i, line in enumerate(lines):
            index.setdefault(self.normal(line), []).append(i)
        votes: dict[int, int] = {}
        for offset, line in enumerate(wanted):
            if not line.strip():
                continue  # blank lines match everywhere and prove nothing
            for i in index.get(line, []):
                votes[i - offset] = votes.get(i - offset, 0) + 1
        if not votes:
            return ["no line of that context occurs in the file"]
        start = max(votes, key=lambda s: (votes[s], -s))
        shown = range(max(start, 0), min(start + len(pre), len(lines)))
        agree = f"{votes[start]} of {len(pre)} lines agree"
        shown_lines = [f"  {n + 1:>6} | {lines[n]}" for n in shown][:_CONTEXT_SHOWN]
        return [f"nearest match in the tree ({agree}), from line {start + 1}:", *shown_lines]

    def tree_label(self) -> str:
        base = getattr(self.tree, "base", None)
        return str(getattr(base, "label", self.tree.label))
