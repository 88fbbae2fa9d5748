"""How SeriesChecker (patchcheck.rules.registry.series) judges the lines a series adds and removes."""

from __future__ import annotations

import re
from collections.abc import Iterator

from patchcheck.model.core import ARCH_1, CORE_BITS, RELEASE, fixed_flag_at
from patchcheck.report.finding import Finding, Location, Severity
from patchcheck.rules.base import CheckContext
from patchcheck.rules.registry.common import (
    MM_H,
    MMFLAGS,
    PROC_RST,
    TASK_MMU,
    finding,
    introduced_flags,
    registry,
)
from patchcheck.rules.registry.seriesdocs import ALIAS_OF_CORE, ENOTSUPP, FIXED_BIT, LEFT_BEHIND, UNREGISTERED
from patchcheck.rules.registry.serieslines import (
    DECLARE,
    DEFINE,
    DOC_CODE,
    SMAPS_ENTRY,
    SeriesLine,
    SeriesLines,
    defined_names,
    series_lines,
    trace_names,
)
from patchcheck.source.tree import SourceTree, read_text

_SLOT = re.compile(r"VM_(?:HIGH_ARCH(?:_BIT)?_\d+|ARCH_\d+)")


def judge(ctx: CheckContext) -> Iterator[Finding]:
    """The findings of SeriesChecker's rules on the lines the series of `ctx` adds and removes."""
    lines = series_lines(ctx)
    if lines is None or not (lines.added or lines.removed):
        return
    mm_added = lines.added_in(MM_H)
    introduced = introduced_flags(ctx)
    wanted = {f for f in introduced if ctx.flags is None or f in ctx.flags}
    yield from _aliases(mm_added, wanted)
    yield from _fixed_bits(mm_added, wanted, bool(ctx.cache.get("diff_only")))
    if ctx.cache.get("diff_only"):
        yield from _unregistered(ctx, lines, wanted)
    yield from _left_behind(ctx, lines)
    yield from _enotsupp(lines)


def _aliases(added: list[SeriesLine], introduced: set[str]) -> Iterator[Finding]:
    for entry in added:
        m = DEFINE.match(entry.text)
        pairs = [(m.group(1), m.group(2))] if m else []
        declared = DECLARE.finditer(entry.text)
        pairs += [(f"VM_{d.group(2)}", f"VM_{d.group(3)}") for d in declared if d.group(1)]
        for name, value in pairs:
            if name in introduced and value in CORE_BITS and value != ARCH_1:
                yield finding(
                    ALIAS_OF_CORE,
                    f"{name} is defined as {value}: every test of {name} is true for every {value} VMA",
                    Location(MM_H, entry.line),
                    name,
                    (
                        f"{MM_H}:{entry.line}: {entry.text.strip()}",
                        f"{value} is bit {CORE_BITS[value]} in every configuration ({RELEASE})",
                    ),
                )


def _bit_of(body: str) -> int | None:
    """The bit of a flag value written as BIT(n), _BITUL(n), BIT_ULL(n), 1UL << n or a hex power of two."""
    body = body.strip()
    m = re.fullmatch(r"\(?\s*(?:BIT|_BITUL|BIT_ULL)\s*\(\s*(\d+)\s*\)\s*\)?", body)
    m = m or re.fullmatch(r"\(?\s*1[uUlL]*\s*<<\s*(\d+)\s*\)?", body)
    if m:
        return int(m.group(1))
    if re.fullmatch(r"0[xX][0-9a-fA-F]+[uUlL]*", body):
        number = int(body.rstrip("uUlL"), 16)
        return number.bit_length() - 1 if number and number & (number - 1) == 0 else None
    return None


def _fixed_bits(added: list[SeriesLine], introduced: set[str], diff_only: bool) -> Iterator[Finding]:
    for entry in added:
        found: list[tuple[str, int]] = []
        m = DEFINE.match(entry.text)
        if m:
            name, body = m.group(1), m.group(2)
            number = int(body, 0) if re.fullmatch(r"\d+", body) and "_BIT" in name else None
            bit = number if number is not None else _bit_of(body)
            slot = bool(_SLOT.fullmatch(name))
            # A new flag on a fixed bit is PC102's with a tree; without one, it is this rule's.
            if bit is not None and (slot or (diff_only and name in introduced)):
                found.append((name, bit))
        for d in DECLARE.finditer(entry.text):
            if not d.group(1) and d.group(3).isdigit():
                name = f"VM_{d.group(2)}"
                if _SLOT.fullmatch(name) or (diff_only and name in introduced):
                    found.append((name, int(d.group(3))))
        for name, bit in found:
            owner = fixed_flag_at(bit)
            if owner is not None and owner != name:
                yield finding(
                    FIXED_BIT,
                    f"{name} is bit {bit}, which is {owner}'s in every configuration",
                    Location(MM_H, entry.line),
                    name,
                    (f"{MM_H}:{entry.line}: {entry.text.strip()}", f"{owner} is bit {bit} ({RELEASE})"),
                )


def _unregistered(ctx: CheckContext, lines: SeriesLines, introduced: set[str]) -> Iterator[Finding]:
    """Without a tree: a new flag that is a real bit somewhere, and no smaps entry for it in the series."""
    decided = registry(ctx).decided
    model = decided.model if decided is not None else None
    added_text = [a.text for a in lines.added]
    smaps = {m.group(1) for t in added_text for m in [SMAPS_ENTRY.search(t)] if m}
    traced = {flag for t in added_text for flag, _ in trace_names(t)}
    # Style B: `DECLARE_VMA_BIT(NAME, n)` gives VM_NAME bit n of its own (its mask macro may not be shown).
    declared = {
        f"VM_{d.group(2)}": int(d.group(3))
        for a in lines.added_in(MM_H)
        for d in DECLARE.finditer(a.text)
        if not d.group(1) and d.group(3).isdigit()
    }
    for name in sorted(introduced):
        flag = model.flags.get(name) if model is not None else None
        real = (
            [
                v.value.describe()
                for v in flag.variants
                if v.value.kind == "bit" and v.value.via[:1] != (ARCH_1,)
            ]
            if flag
            else []
        )
        if name in declared:
            real.append(f"bit {declared[name]}")
        # A pure VM_ARCH_1 alias shows as "ar" by design; only a bit of its own needs a mnemonic.
        if not real or name in smaps:
            continue
        absent = ["smaps mnemonic", *([] if name in traced else ["trace name"]), "proc.rst line"]
        where = f" ({lines.missing} patches of the series are absent)" if lines.missing else ""
        line = _definition_line(lines.added_in(MM_H), name)
        yield finding(
            UNREGISTERED,
            f"{name} is a real bit but the series adds no {', '.join(absent[:-1])} or {absent[-1]} for it"
            if len(absent) > 1
            else f"{name} is a real bit but the series adds no {absent[0]} for it",
            Location(MM_H, line),
            name,
            (
                f"{name} is {real[0]} where the hunks show it defined{where}",
                "a patch not among the diffs read may add them; with --tree PC201, PC303 and PC401 decide",
            ),
        )


def _definition_line(added: list[SeriesLine], name: str) -> int | None:
    """The added line that defines `name` (`#define VM_X ...`), else the first that names it as a word (not
    `VM_X_BIT`, which only contains it): where the tree's PC201 points too."""
    found = next((a.line for a in added if (m := DEFINE.match(a.text)) and m.group(1) == name), None)
    word = re.compile(rf"\b{re.escape(name)}\b")
    return found if found is not None else next((a.line for a in added if word.search(a.text)), None)


def _left_behind(ctx: CheckContext, lines: SeriesLines) -> Iterator[Finding]:
    """A flag whose definition the series removes while an smaps/trace/doc entry stays, or the reverse."""
    gone = defined_names(lines.removed_in(MM_H)) - defined_names(lines.added_in(MM_H))
    kept_defs = defined_names([c for c in lines.context if c.path == MM_H]) - gone
    if not ctx.cache.get("diff_only"):  # with a tree, the flags it still defines after the series
        kept_defs |= set(registry(ctx).model.flags) - gone
    removed_smaps = {m.group(1): m.group(2) for m in _matches(SMAPS_ENTRY, lines.removed_in(TASK_MMU))}
    added_smaps = {m.group(1) for m in _matches(SMAPS_ENTRY, lines.added_in(TASK_MMU))}
    removed_trace = {f for r in lines.removed_in(MMFLAGS) for f, _ in trace_names(r.text)}
    added_trace = {f for a in lines.added_in(MMFLAGS) for f, _ in trace_names(a.text)}
    removed_codes = {m.group(1) for m in _matches(DOC_CODE, lines.removed_in(PROC_RST))}
    added_codes = {m.group(1) for m in _matches(DOC_CODE, lines.added_in(PROC_RST))}
    tree = None if ctx.cache.get("diff_only") else ctx.tree
    for flag in sorted(gone):
        if not (ctx.flags is None or flag in ctx.flags):
            continue
        code = removed_smaps.get(flag)
        stays: list[tuple[str, str]] = []
        if flag not in removed_smaps and _still_there(tree, TASK_MMU, flag):
            stays.append((TASK_MMU, "its smaps mnemonic"))
        if flag not in removed_trace and _still_there(tree, MMFLAGS, flag):
            stays.append((MMFLAGS, "its trace name"))
        doc_stays = code and code not in removed_codes | added_codes
        if doc_stays and tree is not None and _doc_has(tree, code or ""):
            stays.append((PROC_RST, f'the proc.rst line for "{code}"'))
        evidence = (
            f"{flag}: every #define removed from {MM_H}",
            *([f'smaps mnemonic "{code}" removed from {TASK_MMU}'] if code else []),
        )
        for path, what in stays:
            message = f"the series removes {flag} but {what} stays"
            yield finding(LEFT_BEHIND, message, Location(path), flag, evidence)
        if doc_stays and tree is None:
            # Without a tree proc.rst is unseen: it may never have documented the mnemonic (6.12 lacks "ui").
            yield finding(
                LEFT_BEHIND,
                f'the series removes {flag} but may leave the proc.rst line for "{code}": proc.rst is not in '
                "the series and no tree was given",
                Location(PROC_RST),
                flag,
                (*evidence, "read from the diffs (no tree): run with --tree to decide"),
                severity=Severity.UNRESOLVED,
            )
    for flag, code in sorted(removed_smaps.items()):
        if flag in kept_defs and flag not in added_smaps and (ctx.flags is None or flag in ctx.flags):
            yield finding(
                LEFT_BEHIND,
                f'the series removes the smaps mnemonic "{code}" of {flag} but keeps {flag}',
                Location(TASK_MMU),
                flag,
                (f"{flag} is still defined in {MM_H} (its definition is in the hunks' context)",),
            )
    for flag in sorted(removed_trace - added_trace):
        if flag in kept_defs and (ctx.flags is None or flag in ctx.flags):
            yield finding(
                LEFT_BEHIND,
                f"the series removes the trace name of {flag} but keeps {flag}",
                Location(MMFLAGS),
                flag,
                (f"{flag} is still defined in {MM_H} (its definition is in the hunks' context)",),
            )


def _matches(pattern: re.Pattern[str], lines: list[SeriesLine]) -> list[re.Match[str]]:
    return [m for entry in lines for m in [pattern.search(entry.text)] if m]


_USER_FLAG = re.compile(r"\b(?:MAP|MADV|PROT)_[A-Z0-9_]+\b")


def _still_there(tree: SourceTree | None, path: str, flag: str) -> bool:
    """Does the file after the series still name the flag? Without a tree nobody knows: no finding."""
    text = read_text(tree, path) if tree is not None else None
    return text is not None and re.search(rf"\b{re.escape(flag)}\b", text) is not None


def _doc_has(tree: SourceTree, code: str) -> bool:
    text = read_text(tree, PROC_RST)
    return text is not None and re.search(rf"^\s+{re.escape(code)}\s+\S", text, re.M) is not None


def _enotsupp(lines: SeriesLines) -> Iterator[Finding]:
    for entry in lines.added:
        if not entry.path.endswith(".c") or not re.search(r"-\s*ENOTSUPP\b", entry.text):
            continue
        flags = sorted({m for t in (*entry.near, entry.text) for m in _USER_FLAG.findall(t)})
        if not flags:
            continue
        yield finding(
            ENOTSUPP,
            f"{entry.function or 'this path'} refuses {', '.join(flags[:3])} with -ENOTSUPP, a "
            "kernel-internal errno that user space sees as 524 (unknown error)",
            Location(entry.path, entry.line),
            None,
            (f"{entry.path}:{entry.line}: {entry.text.strip()}",),
        )


__all__ = ["judge"]
