"""PC101: uses of a flag where mm.h leaves it undefined (field guide R1).

The uses are found by one search of mm/, include/, fs/ and kernel/ for the flags some configuration leaves
undefined. On a patched tree the search of the user's tree is shared by every state of the series, and a
file's uses are judged once per content: a verify run re-reads only the files its patches changed.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Iterator
from typing import Any

from patchcheck.model import FlagDef, load_flag_model
from patchcheck.model.load import load_flag_defs
from patchcheck.report.finding import Finding, Location, Severity
from patchcheck.rules.base import CheckContext, RuleDoc
from patchcheck.rules.registry.common import (
    KCONFIG,
    MM_H,
    Registry,
    build_condition,
    finding,
    guard_text,
    pool_gap,
    registry,
    registry_reads,
    unresolved,
)
from patchcheck.rules.registry.definition import line_of
from patchcheck.rules.registry.never_defined import defined_names, never_defined_uses
from patchcheck.source import search as grep
from patchcheck.source.cache import DiskCache, digest
from patchcheck.source.facts import Answer
from patchcheck.source.guards import TRUE, Formula, conj, disj, neg
from patchcheck.source.preproc import preprocess
from patchcheck.source.search import Search
from patchcheck.source.tree import DirectoryTree, GitRevisionTree, OverlayTree, SourceTree, decode_source

UNDEFINED_USE = RuleDoc(
    id="PC101",
    name="flag-undefined-where-used",
    severity=Severity.ERROR,
    summary="A flag used by code that is compiled in a configuration where the flag is not defined",
    what="For every flag that mm.h leaves undefined in some configuration (no VM_NONE fallback), looks at "
    "each use in mm/, include/, fs/ and kernel/ and asks whether that use is compiled (its #if guards and "
    "its Makefile line) in a configuration where the flag is undefined. On a patched tree, also a flag a "
    "patched file newly uses that nothing defines in any configuration (no #define in mm.h or elsewhere), "
    "and every use of a flag whose every definition the series removes. Where the flag is defined but "
    "expands to a VM_HIGH_ARCH_n left undefined, PC502 reports the one cause (a missing select) instead.",
    why="An undefined VM_* macro is a build error, but only in the configurations that lack it: the patch "
    "builds on the submitter's x86_64 and breaks a 32-bit or nommu build later.",
    example="#ifdef CONFIG_64BIT\n#define VM_SEALED _BITUL(63)\n#endif\n...\n"
    "static inline bool vma_is_sealed(...) { return vma->vm_flags & VM_SEALED; }  /* unguarded */",
    fix="Give the flag a VM_NONE fallback (#else #define VM_X VM_NONE) or guard the use.",
    scope=("R1",),
    needs=(MM_H, KCONFIG),
)

REFERENCE_DIRS = ("mm", "include", "fs", "kernel")
_SOURCES = (".c", ".h")


def reads_references(path: str) -> bool:
    return path.endswith(_SOURCES) and path.startswith(tuple(f"{d}/" for d in REFERENCE_DIRS))


class UndefinedUseChecker:
    rules = (UNDEFINED_USE,)
    collects_search = True  # the engine runs it after the other checkers (see StartReferenceSearch)

    def reads(self, path: str) -> bool:
        return registry_reads(path) or reads_references(path)

    def run(self, ctx: CheckContext) -> Iterable[Finding]:
        reg = registry(ctx)
        if reg.diff_only:
            return
        start_reference_search(ctx, reg)
        names, search = ctx.cache["references"]
        partial = {f.name: f for f in reg.model.real_flags() if f.name in names and reg.wanted(ctx, f.name)}
        yield from never_defined_uses(ctx, reg, UNDEFINED_USE, reads_references)
        yield from removed_flag_uses(ctx, reg)
        if not partial:
            search.result()
            return
        words = re.compile(r"\b(" + "|".join(map(re.escape, sorted(partial))) + r")\b")
        needles = [name.encode() for name in partial]
        for path in search.result():
            data = ctx.tree.read_bytes(path)
            if data is None or not _mentions(data, needles):
                continue  # the search may be for more flags (begin_reference_search)
            built = TRUE if path.endswith(".h") else build_condition(ctx, path)
            if built is None:
                continue
            key = ("uses", path, data, built, words.pattern)
            found = reg.per_file.get(key)
            if found is None:
                found = reg.per_file[key] = [
                    use
                    for number, name, guard in occurrences(ctx.memo, path, data, words)
                    for use in _use(reg, partial[name], path, number, conj(reg.model.resolve(guard), built))
                ]
            yield from found


def removed_flag_uses(ctx: CheckContext, reg: Registry) -> Iterator[Finding]:
    """Uses, anywhere under mm/, include/, fs/ and kernel/, of a flag the tree defined before the series and
    that the series leaves defined nowhere (every #define removed, and none elsewhere): each compiled use
    is now a build error, though the file using it was never touched."""
    tree = ctx.tree
    if not isinstance(tree, OverlayTree) or MM_H not in tree.changes:
        return
    key = ("flags-before-series", id(tree.base))
    cached = ctx.memo.get(key)
    if cached is None or cached[0] is not tree.base:
        cached = ctx.memo[key] = (tree.base, frozenset(load_flag_model(tree.base).flags))
    before: frozenset[str] = cached[1]
    gone = sorted(
        name
        for name in before - set(reg.model.flags)
        if not name.endswith("_BIT") and not name.startswith("VM_HIGH_ARCH") and reg.wanted(ctx, name)
    )
    if gone:
        still = defined_names(tree, gone, ctx.memo)
        gone = [name for name in gone if name not in still]
    if not gone:
        return
    words = re.compile(r"\b(" + "|".join(map(re.escape, gone)) + r")\b")
    for path in ReferenceSearch(tree, gone, REFERENCE_DIRS, ctx.memo).result():
        built = TRUE if path.endswith(".h") else build_condition(ctx, path)
        data = tree.read_bytes(path)
        if built is None or data is None:
            continue
        for number, name, guard in occurrences(ctx.memo, path, data, words):
            compiled = conj(reg.model.resolve(guard), built)
            answer = reg.holds(compiled)
            loc = Location(path, number)
            if answer is Answer.YES:
                yield finding(
                    UNDEFINED_USE,
                    f"{name} is used here but the series removes its every definition",
                    loc,
                    name,
                    (
                        f"{MM_H}: {name} was defined before the series and is defined in no configuration "
                        "after it",
                        f"no #define of {name} in the patched files nor under include/, arch/, mm/, fs/, "
                        "kernel/",
                        f"{path}:{number}: compiled where {guard_text(compiled)}",
                        f"example configuration: {reg.example(compiled)}",
                    ),
                    hint=f"Remove this use of {name} in the same series, or keep {name} defined "
                    "(VM_NONE where it no longer exists).",
                )
            elif answer is Answer.UNRESOLVED:
                yield unresolved(
                    UNDEFINED_USE, name, loc, f"this use of {name} (no longer defined) is compiled", compiled
                )


_OCCURRENCES_VERSION = "occurrences-1"


def occurrences(
    memo: dict[Any, Any], path: str, data: bytes, words: re.Pattern[str]
) -> tuple[tuple[int, str, Formula], ...]:
    """(line, name, #if guard) of each use of a name `words` matches in the file: its own content is all
    this depends on, so it is kept for the run (`memo`) and on disk."""
    key = digest(_OCCURRENCES_VERSION, path, data, words.pattern)
    found = memo.get(("occurrences", key))
    if found is None:
        found = DiskCache().get("uses", key, tuple[tuple[int, str, Formula], ...])
    if not isinstance(found, tuple):
        pre = preprocess(decode_source(data))
        uses: dict[tuple[int, str], Formula] = {}  # each name once a line, lines in order
        number, counted_to = 1, 0
        for match in words.finditer(pre.masked):
            number += pre.masked.count("\n", counted_to, match.start())
            counted_to = match.start()
            uses.setdefault((number, match.group(1)), pre.guard_at(number))
        found = tuple((number, name, guard) for (number, name), guard in uses.items())
        DiskCache().put("uses", key, found)
    memo[("occurrences", key)] = found
    return found


def _use(reg: Registry, flag: FlagDef, path: str, number: int, compiled: Formula) -> Iterator[Finding]:
    # where it expands to an undefined VM_HIGH_ARCH_n, PC502 names the one cause (a missing select)
    defined = disj(flag.defined_guard, pool_gap(flag))
    question = conj(compiled, neg(defined))
    answer = reg.holds(question)
    loc = Location(path, number)
    if answer is Answer.YES:
        yield finding(
            UNDEFINED_USE,
            f"{flag.name} is used here but is undefined where {guard_text(neg(defined))}",
            loc,
            flag.name,
            (
                f"{MM_H}:{line_of(flag)}: {flag.name} defined only where {guard_text(defined)}",
                f"{path}:{number}: compiled where {guard_text(compiled)}",
                f"example configuration: {reg.example(question)}",
            ),
        )
    elif answer is Answer.UNRESOLVED:
        question_text = f"this use of {flag.name} is compiled where it is undefined"
        yield unresolved(UNDEFINED_USE, flag.name, loc, question_text, question)


class BaseSearch:
    """The files of a directory or git revision under `dirs` that mention any of `words`: one `grep` started
    at once and collected when needed, so it runs while other rules work. None: the tree cannot be grepped."""

    def __init__(self, base: SourceTree, words: list[str], dirs: tuple[str, ...]) -> None:
        self.base = base
        self.process: subprocess.Popen[bytes] | None = None
        self.prefix = ""
        self._listed: set[str] | None = None
        patterns = [arg for word in words for arg in ("-e", word)]
        command: list[str] | None = None
        cwd = None
        self._kept_as: str | None = None
        self._search: Search | None = None  # a directory's search: journaled with what it found
        if isinstance(base, GitRevisionTree) and words:
            # A tree id names its content for good: its search is kept on disk (the hooks check one revision
            # again and again).
            self._kept_as = digest("git-grep-v1", base.tree_id, "\0".join(words), "\0".join(dirs))
            kept = DiskCache().get("uses", self._kept_as, list[str])
            if isinstance(kept, list):
                self._listed = set(kept)
                return
            # `git grep` on the revision: reading every blob one `git cat-file` at a time would take minutes.
            self.prefix = f"{base.tree_id}:"
            command = ["git", "-C", str(base.root), "grep", "-lwF", *patterns, base.tree_id, "--", *dirs]
        elif isinstance(base, DirectoryTree) and words:
            self._search = (tuple(words), tuple(dirs), _SOURCES)
            present = base.search_roots(dirs)
            if present:
                command = grep.command(words, present, _SOURCES)
                cwd = base.root
            else:
                self._listed = set()
                base.searched(self._search, self._listed)
        if command is not None:
            try:
                self.process = subprocess.Popen(
                    command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
                )
            except OSError:
                self.process = None

    @property
    def searchable(self) -> bool:
        return self.process is not None or self._listed is not None

    def listed(self) -> set[str]:
        if self._listed is None:
            found, complete = (
                grep.listing(self.process, _SOURCES) if self.process is not None else (set(), False)
            )
            self._listed = {p.removeprefix(self.prefix) for p in found}
            if self._search is not None and isinstance(self.base, DirectoryTree):
                self.base.searched(self._search, self._listed if complete else None)
            if self._kept_as is not None and complete:  # a failed search is never kept
                DiskCache().put("uses", self._kept_as, sorted(self._listed))
        return self._listed


class ReferenceSearch:
    """Files under `dirs` whose text contains any of `words`, in `tree`: a search of the user's tree
    (shared through `memo`) corrected by the files a series changed."""

    def __init__(
        self, tree: SourceTree, words: list[str], dirs: tuple[str, ...], memo: dict[Any, Any]
    ) -> None:
        self.tree, self.words, self.dirs = tree, words, dirs
        self.changes: dict[str, bytes | None] = {}
        base = tree
        if isinstance(base, OverlayTree):
            self.changes, base = dict(base.changes), base.base
        key = ("reference-search", id(base), tuple(words), dirs)
        shared = memo.get(key)
        if not isinstance(shared, BaseSearch):
            shared = memo[key] = BaseSearch(base, words, dirs)
        self.shared = shared

    def result(self) -> list[str]:
        needles = [w.encode() for w in self.words]
        if not self.shared.searchable:
            return sorted(
                path
                for d in self.dirs
                for path in self.tree.list_files(d)
                if path.endswith(_SOURCES) and _mentions(self.tree.read_bytes(path), needles)
            )
        hits = {p for p in self.shared.listed() if p not in self.changes}
        hits |= {
            p
            for p, data in self.changes.items()
            if p.startswith(tuple(f"{d}/" for d in self.dirs))
            and p.endswith(_SOURCES)
            and _mentions(data, needles)
        }
        return sorted(hits)


def _mentions(data: bytes | None, needles: list[bytes]) -> bool:
    return data is not None and any(n in data for n in needles)


def begin_reference_search(ctx: CheckContext) -> None:
    """Start the R1 search from mm.h alone, before any Kconfig question: for the flags defined under some
    condition (those some configuration may leave undefined are among them, `start_reference_search`
    says which), so that it runs while the Kconfig facts are built and the files it lists are ready when
    PC101 reads them."""
    if ctx.cache.get("diff_only") or "reference-search" in ctx.cache:
        return
    conditional = sorted(
        f.name for f in load_flag_defs(ctx.tree).values() if f.kind == "flag" and f.defined_guard != TRUE
    )
    ctx.cache["reference-search"] = ReferenceSearch(ctx.tree, conditional, REFERENCE_DIRS, ctx.memo)


def start_reference_search(ctx: CheckContext, reg: Registry) -> None:
    """Decide the R1 search: the flags that some configuration leaves undefined, and the files that
    mention them (the search `begin_reference_search` started, or one started now)."""
    if reg.diff_only or "references" in ctx.cache:
        return
    partial = reg.per_file.get("partial")
    if not isinstance(partial, list):
        partial = reg.per_file["partial"] = sorted(
            f.name
            for f in reg.model.real_flags()
            if reg.facts.implies(TRUE, f.defined_guard) is not Answer.YES
        )
    search = ctx.cache.get("reference-search")
    if not (isinstance(search, ReferenceSearch) and set(partial) <= set(search.words)):
        search = ReferenceSearch(ctx.tree, partial, REFERENCE_DIRS, ctx.memo)
    ctx.cache["references"] = (partial, search)
