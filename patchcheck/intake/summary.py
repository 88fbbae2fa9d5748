"""The series summary `patchcheck verify` prints, as data (for JSON and for later layers) and as text."""

from __future__ import annotations

import re
from typing import Any

from patchcheck.intake.apply import AppliedState
from patchcheck.intake.series import Patch, Series
from patchcheck.source.tree import OverlayTree, SourceTree

_VM_DEFINE = re.compile(r"^\s*#\s*define\s+(VM_[A-Z0-9_]+)\b")


def vm_flag_definitions(patch: Patch, before: SourceTree | None = None) -> dict[str, str]:
    """VM_* names whose `#define` the patch adds ("added"), changes ("changed") or drops ("removed"). With
    the tree `before` the patch, a `#define` added to a file that defines the name already (a flag given a
    definition for another architecture) changes it."""
    plus: dict[str, set[str]] = {}
    minus: set[str] = set()
    for file in patch.files:
        for hunk in file.hunks:
            for line in hunk.lines:
                match = _VM_DEFINE.match(line.text)
                if match and line.kind == "+":
                    plus.setdefault(match.group(1), set()).add(file.old_path or file.path)
                elif match and line.kind == "-":
                    minus.add(match.group(1))
    verdicts = {
        name: "changed" if name in minus or _defined_before(name, paths, before) else "added"
        for name, paths in plus.items()
    }
    verdicts.update({name: "removed" for name in minus - set(plus)})
    return dict(sorted(verdicts.items()))


def _defined_before(name: str, paths: set[str], before: SourceTree | None) -> bool:
    if before is None:
        return False
    for path in paths:
        text = (before.read_bytes(path) or b"").decode("utf-8", "surrogateescape")
        if any((m := _VM_DEFINE.match(line)) and m.group(1) == name for line in text.splitlines()):
            return True
    return False


def series_vm_flags(series: Series, states: list[AppliedState] | None = None) -> dict[str, str]:
    before = _trees_before(states or [])
    flags: dict[str, str] = {}
    for index, patch in enumerate(series.patches):
        for name, verdict in vm_flag_definitions(patch, before.get(index)).items():
            flags[name] = "changed" if name in flags and flags[name] != verdict else verdict
    return dict(sorted(flags.items()))


def _trees_before(states: list[AppliedState]) -> dict[int, SourceTree]:
    """The tree each patch was applied to: the base, then the state after the patch before."""
    after = {state.index: state.tree for state in states}
    before: dict[int, SourceTree] = {}
    first = after.get(0)
    if isinstance(first, OverlayTree):
        before[0] = first.base
    for index in after:
        if index and index - 1 in after:
            before[index] = after[index - 1]
    return before


def summarize(
    series: Series, states: list[AppliedState] | None = None, tree_label: str | None = None
) -> dict[str, Any]:
    """Everything `verify` reports about the series, JSON-ready."""
    by_index = {state.index: state for state in states or []}
    stat = series.diffstat
    return {
        "source": series.source,
        "version": series.revision,
        "version_choice": series.version_choice,
        "versions_seen": series.versions,
        "expected": series.expected,
        "complete": series.complete,
        "missing": [f"{n}/{series.expected}" for n in series.missing],
        "missing_summary": series.missing_summary(),
        "cover_letter": series.cover.subject.full if series.cover else None,
        "base_commit": series.base_commit,
        "tree": tree_label,
        "diffstat": {"files": stat.files, "insertions": stat.insertions, "deletions": stat.deletions},
        "files": series.files,
        "vm_flags": series_vm_flags(series, states),
        "duplicates": [
            {
                "patch": f"{d.counter}/{series.expected}",
                "kept": d.kept,
                "other": d.other,
                "same_content": d.same_content,
            }
            for d in series.duplicates
        ],
        "backfilled_from_previous_version": [f"{n}/{series.expected}" for n in series.backfilled],
        "notes": series.notes,
        "patches": [_patch_summary(i, p, by_index.get(i)) for i, p in enumerate(series.patches)],
    }


def _patch_summary(index: int, patch: Patch, state: AppliedState | None) -> dict[str, Any]:
    stat = patch.diffstat
    return {
        "patch": patch.label,
        "title": patch.title,
        "message_id": patch.message_id,
        "author": patch.author,
        "patch_id": patch.patch_id,
        "reconstructed_from_quote": patch.reconstructed_from_quote,
        "diffstat": {"files": stat.files, "insertions": stat.insertions, "deletions": stat.deletions},
        "files": [
            {
                "path": f.path,
                "old_path": f.old_path,
                "status": f.status,
                "binary": f.binary,
                "insertions": f.added,
                "deletions": f.removed,
                "hunks": len(f.hunks),
            }
            for f in patch.files
        ],
        "trailers": [str(t) for t in patch.trailers],
        "review_trailers": [{"trailer": str(t), "from": t.source} for t in patch.review_trailers],
        "vm_flags": vm_flag_definitions(patch),
        "unusable": [f"{u.what}: {u.reason}" for u in patch.diff.unusable],
        "notes": patch.notes,
        "applied": state is not None,
        "not_checked": list(state.unchecked) if state else [],
        "skipped": list(state.skipped) if state else [],
        "changed_lines": {k: v for k, v in state.changed_ranges().items()} if state else {},
    }


def _count(n: int, one: str, many: str | None = None) -> str:
    """`n` with its noun, singular for 1 (as git's diffstat: "1 deletion(-)")."""
    return f"{n} {one if n == 1 else many or one + 's'}"


def render_text(summary: dict[str, Any]) -> str:
    lines = []
    versions = ", ".join(f"v{v}" for v in summary["versions_seen"])
    head = f"series v{summary['version']} ({summary['version_choice']}; seen: {versions})"
    numbered = [p for p in summary["patches"] if not str(p["patch"]).startswith("0/")]
    extra = " and a diff in the cover letter (patch 0)" if len(numbered) < len(summary["patches"]) else ""
    lines.append(f"{head}: {len(numbered)} of {_count(summary['expected'], 'patch', 'patches')}{extra}")
    if summary["missing_summary"]:
        lines.append(f"  {summary['missing_summary']}")
    if summary["cover_letter"]:
        lines.append(f"  cover letter: {summary['cover_letter']}")
    if summary["base_commit"]:
        lines.append(f"  base-commit: {summary['base_commit']}")
    for patch in summary["patches"]:
        stat = patch["diffstat"]
        quoted = patch["reconstructed_from_quote"]
        mark = " [reconstructed from a quote; whitespace ignored]" if quoted else ""
        files = f"{stat['files']} file{'' if stat['files'] == 1 else 's'}"
        lines.append(
            f"  [{patch['patch']}] {patch['title']}{mark}: {files}, "
            f"+{stat['insertions']} -{stat['deletions']}"
        )
        for trailer in patch["review_trailers"]:
            lines.append(f"      {trailer['trailer']} (from a reply)")
        if summary["tree"]:
            lines.extend(f"      not checked (absent from the tree): {item}" for item in patch["not_checked"])
        lines.extend(f"      skipped: {item}" for item in patch["skipped"])
        lines.extend(f"      note: {item}" for item in patch["notes"])
    for dup in summary["duplicates"]:
        how = "same content" if dup["same_content"] else "DIFFERENT content"
        lines.append(f"  patch {dup['patch']} sent twice ({how}): kept {dup['kept']}, also {dup['other']}")
    if summary["backfilled_from_previous_version"]:
        borrowed = ", ".join(summary["backfilled_from_previous_version"])
        lines.append(f"  taken from the previous version: {borrowed}")
    lines.extend(f"  note: {note}" for note in summary["notes"])
    stat = summary["diffstat"]
    insertions, deletions = _count(stat["insertions"], "insertion"), _count(stat["deletions"], "deletion")
    lines.append(f"files ({stat['files']}), {insertions}(+), {deletions}(-):")
    lines.extend(f"  {path}" for path in summary["files"])
    flags = summary["vm_flags"]
    named = ", ".join(f"{k} ({v})" for k, v in flags.items())
    lines.append(f"VM_* definitions: {named or 'none'}")
    tree = summary["tree"] or "no tree (only the diffs were read)"
    lines.append(f"applied to: {tree}")
    if base := summary.get("base"):
        lines.append(f"base: {base['base']}")
        lines.extend(f"  fuzzed: {item}" for item in base["fuzzed"])
    return "\n".join(lines)
