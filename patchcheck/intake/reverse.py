"""A series turned inside out: applying it undoes the series (to find out whether it is already applied)."""

from __future__ import annotations

from dataclasses import replace

from patchcheck.intake.diff import FilePatch, FileStatus, Hunk, HunkLine, HunkLineKind, ParsedDiff
from patchcheck.intake.series import Series

_SWAP: dict[HunkLineKind, HunkLineKind] = {"+": "-", "-": "+", " ": " "}
_STATUS: dict[FileStatus, FileStatus] = {"added": "deleted", "deleted": "added"}


def reversed_series(series: Series) -> Series:
    """The series that undoes `series`: its patches last first, each with old and new swapped."""
    patches = [
        replace(patch, diff=ParsedDiff(text="", files=tuple(_reverse_file(f) for f in patch.files)))
        for patch in reversed(series.patches)
    ]
    return replace(series, patches=patches)


def _reverse_file(file: FilePatch) -> FilePatch:
    return replace(
        file,
        old_path=file.new_path,
        new_path=file.old_path,
        status=_STATUS.get(file.status, file.status),
        hunks=tuple(_reverse_hunk(h) for h in file.hunks),
        old_mode=file.new_mode,
        new_mode=file.old_mode,
        old_blob=file.new_blob,
        new_blob=file.old_blob,
    )


def _reverse_hunk(hunk: Hunk) -> Hunk:
    return Hunk(
        old_start=hunk.new_start,
        old_count=hunk.new_count,
        new_start=hunk.old_start,
        new_count=hunk.old_count,
        section=hunk.section,
        lines=tuple(HunkLine(_SWAP[line.kind], line.text) for line in hunk.lines),
        old_ends_without_newline=hunk.new_ends_without_newline,
        new_ends_without_newline=hunk.old_ends_without_newline,
    )
