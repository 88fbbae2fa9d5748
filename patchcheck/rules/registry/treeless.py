"""Verify without a tree: how sure a registry finding decided on the hunks is, and what the hunks leave open.

The rules run on the model of what the hunks decide (`Registry.decided`), where a Kconfig symbol that the
series' Kconfig hunks do not define is a free variable. A finding is an ERROR, as with a tree, only when the
hunks decide it: what the series wrote forces it wherever it is compiled (two aliases under one guard), or
it holds in a configuration every release has (a 32-bit one, a 64-bit one without the high-arch pool)
whatever the other symbols are. Otherwise the tree's Kconfig may rule it out: a WARNING naming the symbols
it hinges on. Rules the hunks cannot decide for every line the series changes are listed as skipped there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from patchcheck.model.core import KNOWN_CONFIGS, KNOWN_SYMBOLS
from patchcheck.report.finding import Finding, Severity
from patchcheck.rules.base import CheckContext, RuleDoc
from patchcheck.rules.registry.common import (
    MM_H,
    TASK_MMU,
    Registry,
    free_symbols,
    introduced_flags,
    registry,
)
from patchcheck.source.facts import Answer
from patchcheck.source.guards import Formula, conj, neg
from patchcheck.source.tree import read_text

if TYPE_CHECKING:
    from patchcheck.rules.registry.serieslines import SeriesLine

DECIDED = "decided from the hunks alone: the guards they show force it"
UNKNOWN = (
    "decided from the hunks alone, each Kconfig symbol the series' Kconfig hunks do not define free; "
    "with --tree the tree's Kconfig decides it (an error)"
)


def judged(reg: Registry, found: Finding, question: Formula, presumed: Iterable[Formula] = ()) -> Finding:
    """`found`, the answer YES to `question`, as sure as `reg` makes it. With a tree: as it is. Without one:
    as it is when the hunks decide it, else a WARNING naming the free symbols. `presumed`: where what the
    series wrote is compiled (each guard is presumed to hold in some configuration)."""
    if not reg.free:
        return found
    if decides(reg, question, presumed):
        return replace(found, evidence=(*found.evidence, DECIDED))
    names = [n for n in free_symbols(question) if n.removeprefix("CONFIG_") not in KNOWN_SYMBOLS]
    shown = ", ".join(names or free_symbols(question)) or "no symbol"
    return replace(
        found,
        severity=Severity.WARNING if found.severity is Severity.ERROR else found.severity,
        message=f"{found.message} (unknown without the tree's Kconfig: {shown})",
        evidence=(*found.evidence, UNKNOWN),
    )


def decides(reg: Registry, question: Formula, presumed: Iterable[Formula]) -> bool:
    """Whether `question` holds whatever the free symbols are: forced by a presumed guard, or true in a
    configuration every release has."""
    for given in (*presumed, *KNOWN_CONFIGS):
        if reg.holds(given) is Answer.YES and reg.holds(conj(given, neg(question))) is Answer.NO:
            return True
    return False


_DEFINES = re.compile(r"^\s*#\s*define\s+(VM_\w+)\s+\S|\bDECLARE_VMA_BIT(?:_ALIAS)?\s*\(\s*(\w+)\s*,")
_ENTRY = re.compile(r"\[\s*ilog2\s*\(\s*(VM_\w+)\s*\)\s*\]")
_ALIAS = re.compile(r"\bVM_ARCH_1\b|\bARCH_1\s*\)|\bVM_ARCH_CLEAR\b")
_KCONFIG = re.compile(r"(^|/)Kconfig[^/]*$")
_NO_BIT = re.compile(r"^\s*#\s*define\s+VM_\w+\s+(VM_NONE|0)\s*($|/[*/])")
_MASK = re.compile(r"^\s*#\s*define\s+(VM_\w+)\s+INIT_VM_FLAG\s*\(")
_ENUMERATOR = re.compile(r"\bDECLARE_VMA_BIT(?:_ALIAS)?\s*\(\s*(\w+)\s*,")

# The rules decided on the hunks, and what they read: flag definitions (mm.h) or smaps entries too.
READS_ENTRIES = {"PC204"}


def undecided(ctx: CheckContext, rules: Iterable[RuleDoc]) -> list[str]:
    """Skip lines ("PC103 high-bit-without-64bit: ...") for `rules` where the series changes something
    their answer depends on that the hunks do not decide."""
    from patchcheck.rules.registry.serieslines import series_lines

    reg = registry(ctx)
    lines = series_lines(ctx)
    if lines is None or not reg.diff_only:
        return []
    kept = _kept_lines(reg.decided, MM_H)
    hidden: list[str] = []  # definitions whose guard the hunks do not decide
    aliases = False
    existing: list[str] = []  # flags defined again that the series does not introduce
    introduced = introduced_flags(ctx)
    defined = _definitions(lines.added_in(MM_H))
    for name, added in defined:
        if added.line not in kept:
            hidden.append(f"{name} ({MM_H}:{added.line})")
        aliases = aliases or bool(_ALIAS.search(added.text))
        if name not in introduced:
            existing.append(name)
    bits = [n for n, a in defined if not _NO_BIT.search(a.text)]
    shown, changed = enum_mask_decided(ctx)
    unpaired = [n for n in changed if n not in shown]
    entries = [a for a in lines.added_in(TASK_MMU) if _ENTRY.search(a.text)]
    kconfig = sorted({a.path for a in [*lines.added, *lines.removed] if _KCONFIG.search(a.path)})
    out = []
    for rule in rules:
        reasons = []
        if hidden:
            reasons.append(f"the hunks do not show the guard of {', '.join(dict.fromkeys(hidden))}")
        if rule.id == "PC104" and aliases:
            reasons.append("other aliases of VM_ARCH_1 and VM_ARCH_CLEAR are in lines the hunks do not show")
        if rule.id == "PC107" and existing:
            names = ", ".join(dict.fromkeys(existing))
            reasons.append(f"other definitions of {names} may be in lines the hunks do not show")
        if rule.id == "PC102" and bits:
            names = ", ".join(dict.fromkeys(bits))
            reasons.append(f"flags the hunks do not show may be on the bits of {names}")
        if rule.id == "PC108" and unpaired:
            names = ", ".join(dict.fromkeys(unpaired))
            reasons.append(f"the hunks do not show both the enum entry and the mask of {names}")
        if rule.id in READS_ENTRIES and entries:
            reasons.append("entries the hunks do not show may write the same slots")
        if kconfig:
            reasons.append(
                f"the series changes {', '.join(kconfig)}, which may change where flags the hunks do not "
                "show are compiled"
            )
        if reasons:
            out.append(
                f"{rule.id} {rule.name}: decided only on what the hunks show; {'; '.join(reasons)} "
                "(run with --tree)"
            )
    return out


def written_flags(ctx: CheckContext) -> set[str]:
    """Flags the series writes a definition of (a #define or an enum entry added in mm.h)."""
    from patchcheck.rules.registry.serieslines import series_lines

    lines = series_lines(ctx)
    return {name for name, _ in _definitions(lines.added_in(MM_H))} if lines is not None else set()


def enum_mask_decided(ctx: CheckContext) -> tuple[set[str], list[str]]:
    """(decided, changed) for PC108: `changed`, the style-B flags whose enum entry or INIT_VM_FLAG mask the
    series adds or removes; `decided`, those of them the series introduces with both an entry and a mask
    added, each such line's guard decided by the hunks (every line of a new flag is in the diff)."""
    from patchcheck.rules.registry.serieslines import series_lines

    lines = series_lines(ctx)
    reg = registry(ctx)
    if lines is None or not reg.diff_only:
        return set(), []
    kept = _kept_lines(reg.decided, MM_H)
    enum: dict[str, list[int]] = {}
    mask: dict[str, list[int]] = {}
    for line in [*lines.added_in(MM_H), *lines.removed_in(MM_H)]:
        for m in _ENUMERATOR.finditer(line.text):
            enum.setdefault(f"VM_{m.group(1)}", []).append(-1 if line.line is None else line.line)
        masked = _MASK.search(line.text)
        if masked is not None:
            mask.setdefault(masked.group(1), []).append(-1 if line.line is None else line.line)
    changed = list(dict.fromkeys([*enum, *mask]))
    introduced = introduced_flags(ctx)
    decided = {
        name
        for name in changed
        if name in introduced
        and enum.get(name)
        and mask.get(name)
        and all(n in kept for n in [*enum[name], *mask[name]])
    }
    return decided, changed


def _definitions(added: Iterable[SeriesLine]) -> list[tuple[str, SeriesLine]]:
    """(flag, line) for each added line that defines a flag (#define VM_X, DECLARE_VMA_BIT(X, ...))."""
    out = []
    for line in added:
        m = _DEFINES.search(line.text)
        if m is not None:
            out.append((m.group(1) or f"VM_{m.group(2)}", line))
    return out


def _kept_lines(decided: Registry | None, path: str) -> set[int]:
    """Lines of `path` whose guard the hunks decide (the non-blank lines of the decided view)."""
    text = read_text(decided.view, path) if decided is not None and decided.view is not None else None
    if text is None:
        return set()
    return {n for n, line in enumerate(text.split("\n"), start=1) if line.strip()}


__all__ = ["DECIDED", "UNKNOWN", "decides", "enum_mask_decided", "judged", "undecided", "written_flags"]
