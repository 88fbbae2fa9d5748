"""Intake: reading patch mail, assembling a series, applying it in memory to a tree.

The entry points other layers use:

- `load_series(source, *, version=None) -> Series`: source is an mbox or patch file, a directory of .patch
  files, or "-" for standard input; raises InputError when nothing usable is found.
- `apply_series(series, tree, *, ignore_whitespace=False) -> list[AppliedState]`: one state per patch with
  `.tree` (the tree after that patch), `.changes` (per file: added lines and hunk ranges in the post-image),
  `.unchecked` (files the partial tree lacks) and `.skipped` (binary parts); raises InputError on failure.
"""

from patchcheck.intake.apply import AppliedState, FileChange, apply_series
from patchcheck.intake.assemble import assemble, load_series
from patchcheck.intake.series import CoverLetter, Duplicate, Patch, Series
from patchcheck.intake.summary import render_text, summarize, vm_flag_definitions

__all__ = [
    "AppliedState",
    "CoverLetter",
    "Duplicate",
    "FileChange",
    "Patch",
    "Series",
    "apply_series",
    "assemble",
    "load_series",
    "render_text",
    "summarize",
    "vm_flag_definitions",
]
