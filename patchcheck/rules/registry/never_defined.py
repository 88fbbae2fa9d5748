"""PC101's second case: a patched file uses a VM_* flag that is defined in no configuration at all.

PC101 proper asks about flags mm.h defines in some configurations only. A series can also use a flag that
mm.h (or any header) never defines: set it in mmap.c, give it an smaps entry, and forget the definition.
Only names a patched file newly uses are candidates (the tree before the series is not re-judged), and a
candidate is reported only when no `#define` (or enumerator) of it exists in the patched files, nor in
include/, arch/, mm/, fs/ or kernel/ of the tree; function-like macros (VM_BUG_ON(...)) and the families
that are not vma flags (VM_FAULT_*, VM_WARN*, VM_UNMAPPED_*) are never candidates.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from typing import Any

from patchcheck.report.finding import Finding, Location
from patchcheck.rules.base import CheckContext, RuleDoc
from patchcheck.rules.registry.common import MM_H, Registry, build_condition, finding, guard_text, unresolved
from patchcheck.source import search as grep
from patchcheck.source.facts import Answer
from patchcheck.source.guards import TRUE, Formula, conj
from patchcheck.source.preproc import preprocess
from patchcheck.source.tree import DirectoryTree, GitRevisionTree, OverlayTree, SourceTree, decode_source

_NAME = re.compile(r"\bVM_[A-Z0-9_]*[A-Z0-9]\b(?!\s*\()")
_RAW_NAME = re.compile(rb"\bVM_[A-Z0-9_]*[A-Z0-9]\b")
_NOT_FLAGS = re.compile(r"VM_(FAULT|BUG|WARN|UNMAPPED)_")
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
DEFINITION_DIRS = ("include", "arch", "mm", "fs", "kernel")
_SOURCES = (".c", ".h")


def never_defined_uses(ctx: CheckContext, reg: Registry, rule: RuleDoc, reads: Any) -> Iterator[Finding]:
    """Uses, in the files `ctx.tree` changed (those `reads` accepts), of VM_* names that file did not use
    before and that nothing defines."""
    tree = ctx.tree
    if not isinstance(tree, OverlayTree):
        return
    uses: list[tuple[str, int, str, Formula]] = []
    for path, data in sorted(tree.changes.items()):
        if data is None or not reads(path):
            continue
        # Cheap first: the names the file mentions now and did not before (most patched files: none).
        fresh = {
            name
            for name in _new_names(ctx.memo, tree, path, data)
            if name not in reg.model.flags and not _NOT_FLAGS.match(name) and reg.wanted(ctx, name)
        }
        if not fresh:
            continue
        pre = preprocess(decode_source(data))
        for number, line in enumerate(pre.masked.split("\n"), start=1):
            for name in dict.fromkeys(_NAME.findall(_STRING.sub('""', line))):
                if name in fresh:
                    uses.append((path, number, name, pre.guard_at(number)))
    if not uses:
        return
    defined = defined_names(tree, sorted({name for _, _, name, _ in uses}), ctx.memo)
    for path, number, name, guard in uses:
        if name in defined:
            continue
        built = TRUE if path.endswith(".h") else build_condition(ctx, path)
        if built is None:
            continue  # not built by its Makefile as far as we can read
        compiled = conj(reg.model.resolve(guard), built)
        answer = reg.holds(compiled)
        loc = Location(path, number)
        if answer is Answer.YES:
            yield finding(
                rule,
                f"{name} is used here but is defined in no configuration: {MM_H} has no definition of it",
                loc,
                name,
                (
                    f"{MM_H}: no #define of {name} (neither a bit nor a VM_NONE fallback)",
                    f"no #define of {name} in the patched files nor under {', '.join(DEFINITION_DIRS)}/",
                    f"{path}:{number}: compiled where {guard_text(compiled)}",
                ),
                hint=f"Define {name} in {MM_H} in every configuration (a bit, or VM_NONE where it does "
                "not exist).",
            )
        elif answer is Answer.UNRESOLVED:
            yield unresolved(rule, name, loc, f"this use of {name} (defined nowhere) is compiled", compiled)


def _new_names(memo: dict[Any, Any], tree: OverlayTree, path: str, data: bytes) -> frozenset[str]:
    """VM_* words in `data` that the file did not contain in the tree before the series (kept for the run:
    a file a later patch does not touch is not scanned again)."""
    key = ("new-vm-names", id(tree.base), path, data)
    known = memo.get(key)
    if isinstance(known, frozenset):
        return known
    before = set(_RAW_NAME.findall(tree.base.read_bytes(path) or b""))
    names = frozenset(n.decode() for n in set(_RAW_NAME.findall(data)) - before)
    memo[key] = names
    return names


def defined_names(tree: OverlayTree, names: list[str], memo: dict[Any, Any]) -> set[str]:
    """Which of `names` have a #define (or an enumerator `NAME =`) in the patched files or in the tree."""
    pattern = re.compile(
        rb"^[ \t]*#[ \t]*define[ \t]+(" + b"|".join(n.encode() for n in names) + rb")\b"
        rb"|\b(" + b"|".join(n.encode() for n in names) + rb")[ \t]*=[^=]",
        re.M,
    )
    found: set[str] = set()
    for data in tree.changes.values():
        if data is not None:
            found |= _matches(pattern, data)
    key = ("defined-names", id(tree.base), tuple(names))
    in_base = memo.get(key)
    if not isinstance(in_base, dict):
        in_base = memo[key] = _defined_in(tree.base, pattern, names)
    for path, defined in in_base.items():
        if path not in tree.changes:
            found |= defined
    return found


def _matches(pattern: re.Pattern[bytes], data: bytes) -> set[str]:
    return {(m.group(1) or m.group(2)).decode() for m in pattern.finditer(data)}


def _defined_in(base: SourceTree, pattern: re.Pattern[bytes], names: list[str]) -> dict[str, set[str]]:
    """Per file of `base` under DEFINITION_DIRS, the names `pattern` finds defined there. Candidate files
    are found with grep where the tree is on disk or in git."""
    words = [arg for name in names for arg in ("-e", name)]
    listed: list[str] | None = None
    try:
        if isinstance(base, DirectoryTree):
            search = (tuple(names), DEFINITION_DIRS, _SOURCES)
            present = base.search_roots(DEFINITION_DIRS)
            hits: set[str] = set()
            complete = True
            if present:
                hits, complete = grep.listing(grep.start(base.root, names, present, _SOURCES), _SOURCES)
            base.searched(search, hits if complete else None)
            listed = sorted(hits)
        elif isinstance(base, GitRevisionTree):
            out = subprocess.run(
                ["git", "-C", str(base.root), "grep", "-lwF", *words, base.tree_id, "--", *DEFINITION_DIRS],
                capture_output=True,
                check=False,
            ).stdout
            prefix = f"{base.tree_id}:"
            listed = [p.removeprefix(prefix) for p in out.decode("utf-8", "surrogateescape").splitlines()]
    except OSError:
        listed = None
    if listed is None:
        listed = [p for d in DEFINITION_DIRS for p in base.list_files(d) if p.endswith((".h", ".c"))]
    found: dict[str, set[str]] = {}
    for path in listed:
        data = base.read_bytes(path)
        defined = _matches(pattern, data) if data is not None else set()
        if defined:
            found[path] = defined
    return found
