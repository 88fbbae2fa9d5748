"""The 3-way route of `git am -3`: a series rebased onto the work tree through the pre-image blobs.

Each patch is applied exactly to the blobs its `index` lines name (the files as its author had them), and
the change it made there is merged into the work tree's file with `git merge-file` (run on private
temporary files, never in the repository). The merged result is turned back into hunks against the work
tree, so the rebased series applies to the work tree patch by patch like any other series. A conflict
means the route does not apply.
"""

from __future__ import annotations

import difflib
from dataclasses import replace

from patchcheck.errors import InputError
from patchcheck.intake.apply import apply_series
from patchcheck.intake.diff import FilePatch, Hunk, HunkLine
from patchcheck.intake.gitrepo import merge_file
from patchcheck.intake.series import Patch, Series
from patchcheck.source.tree import OverlayTree, SourceTree, decode_source

CONTEXT = 3


def rebase_series(series: Series, worktree: SourceTree, preimages: dict[str, bytes]) -> Series:
    """`series` rebased onto `worktree`, given the pre-image content of each file it touches (by path).
    InputError naming the patch and file when a change does not merge."""
    theirs: dict[str, bytes | None] = dict(preimages)  # the files as the series' author has them so far
    ours: dict[str, bytes | None] = {}  # the work tree's files with the rebased patches applied so far
    patches: list[Patch] = []
    for patch in series.patches:
        alone = replace(series, patches=[patch])
        after = apply_series(alone, OverlayTree(worktree, theirs))[0].tree
        files = []
        for file in patch.files:
            files.append(_rebase_file(patch, file, worktree, theirs, ours, after))
        patches.append(replace(patch, diff=replace(patch.diff, files=tuple(files))))
    return replace(series, patches=patches)


def _rebase_file(
    patch: Patch,
    file: FilePatch,
    worktree: SourceTree,
    theirs: dict[str, bytes | None],
    ours: dict[str, bytes | None],
    after: SourceTree,
) -> FilePatch:
    if file.binary or file.status in ("renamed", "copied"):
        raise InputError(f"{patch.describe()}: {file.path}: a {file.status} file is not merged 3-way")
    path = file.path
    current = ours[path] if path in ours else worktree.read_bytes(path)
    base = theirs.get(path, worktree.read_bytes(path))
    result = after.read_bytes(path)
    if file.status == "added":
        if current is not None:
            raise InputError(f"{patch.describe()}: {path} already exists in the work tree")
        merged = result
    elif current is None:
        raise InputError(f"{patch.describe()}: {path} is not in the work tree")
    elif file.status == "deleted":
        if current != base:
            raise InputError(f"{patch.describe()}: {path} differs in the work tree from the file it deletes")
        merged = None
    else:
        merged = result if current == base else _merge(patch, path, current, base or b"", result or b"")
    theirs[path], ours[path] = result, merged
    old = [] if current is None else decode_source(current).splitlines()
    new = [] if merged is None else decode_source(merged).splitlines()
    return replace(file, hunks=tuple(_hunks(old, new)), old_blob=None, new_blob=None)


def _merge(patch: Patch, path: str, current: bytes, base: bytes, result: bytes) -> bytes:
    conflicts, merged = merge_file(current, base, result)
    if conflicts != 0:
        why = f"{conflicts} conflict(s)" if conflicts > 0 else "git merge-file failed"
        raise InputError(f"{patch.describe()}: {path}: its change does not merge into the work tree ({why})")
    return merged


def _hunks(old: list[str], new: list[str]) -> list[Hunk]:
    """Unified-diff hunks turning `old` into `new`, with CONTEXT lines of context."""
    hunks = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for group in matcher.get_grouped_opcodes(CONTEXT):
        lines: list[HunkLine] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [HunkLine(" ", text) for text in old[i1:i2]]
                continue
            lines += [HunkLine("-", text) for text in old[i1:i2]]
            lines += [HunkLine("+", text) for text in new[j1:j2]]
        first, last = group[0], group[-1]
        old_count, new_count = last[2] - first[1], last[4] - first[3]
        hunks.append(
            Hunk(
                old_start=first[1] + 1 if old_count else first[1],
                old_count=old_count,
                new_start=first[3] + 1 if new_count else first[3],
                new_count=new_count,
                section="",
                lines=tuple(lines),
            )
        )
    return hunks
