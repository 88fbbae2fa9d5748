"""PC2xx: the smaps mnemonic table, show_smap_vma_flags() in fs/proc/task_mmu.c (field guide R6-R8, R17)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import replace

from patchcheck.model import FlagDef, SmapsEntry
from patchcheck.report.finding import Finding, Location, Severity
from patchcheck.rules.base import CheckContext, RuleDoc
from patchcheck.rules.registry.common import (
    ARCH_1,
    KCONFIG,
    MM_H,
    TASK_MMU,
    Registry,
    arch1_guard,
    build_condition,
    finding,
    free_symbols,
    guard_text,
    introduced_flags,
    registry,
    registry_reads,
    unresolved,
    where_undefined,
    where_zero,
)
from patchcheck.rules.registry.treeless import judged, undecided
from patchcheck.rules.registry.valuetests import value_test_findings
from patchcheck.source.facts import Answer
from patchcheck.source.guards import FALSE, TRUE, Formula, absorb, conj, disj, neg, render_c
from patchcheck.source.tree import read_text

MISSING = RuleDoc(
    id="PC201",
    name="smaps-mnemonic-missing",
    severity=Severity.ERROR,
    summary="A flag that is a real bit has no smaps mnemonic at all",
    what="For every flag that is a real bit (not only an alias of VM_ARCH_1, which smaps shows as 'ar') in "
    'some configuration where task_mmu.c is built, looks for a `[ilog2(VM_X)] = "xx"` entry in '
    "show_smap_vma_flags().",
    why="Without an entry the slot keeps its \"??\" filler: /proc/PID/smaps prints '??' for the flag, a "
    "wrong answer to every tool that parses VmFlags.",
    example='#define VM_NEW BIT(41)   /* and no [ilog2(VM_NEW)] = "nw" entry */',
    fix='Add `[ilog2(VM_X)] = "xx",` under the same guard as the flag\'s definition, '
    "and document xx in proc.rst.",
    scope=("R6",),
    needs=(MM_H, TASK_MMU, KCONFIG),
    table=TASK_MMU,
)
GUARD_MISMATCH = RuleDoc(
    id="PC202",
    name="smaps-guard-mismatch",
    severity=Severity.ERROR,
    summary="An smaps entry's guard differs from where its flag is a real bit",
    what="Compares the guard of each flag's smaps entries with the configurations where the flag is a real "
    "bit. Too narrow: the flag exists but shows '??' (or 'ar'). Too wide: the flag is VM_NONE there, "
    'ilog2(0) is 0 and the entry overwrites "rd" (task_mmu.c is built with -Wno-override-init, so '
    "the compiler is silent), or the flag is undefined there (a build error). Without a tree it runs on "
    "the flags the series introduces, where the hunks show both guards whole: every Kconfig symbol is "
    "then free, so a mismatch is a warning naming the symbols it depends on.",
    why="Both directions print a wrong VmFlags line in some configuration; neither is caught by the build "
    "of the configuration the author tested.",
    example="mm.h:      #ifdef CONFIG_64BIT / VM_X BIT(40) / #elif defined(CONFIG_PPC32) / VM_X VM_ARCH_1\n"
    "task_mmu.c: #ifdef CONFIG_64BIT\n             [ilog2(VM_X)] = \"xx\",   /* PPC32 shows 'ar' */",
    fix="Use exactly the definition's guard around the entry (e.g. `#if defined(CONFIG_64BIT) || "
    "defined(CONFIG_PPC32)`).",
    scope=("R6", "R17"),
    needs=(MM_H, TASK_MMU, KCONFIG),
    diff_only=True,
    table=TASK_MMU,
)
BAD_MNEMONIC = RuleDoc(
    id="PC203",
    name="smaps-mnemonic-invalid",
    severity=Severity.ERROR,
    summary="A mnemonic that is not two characters, or the same code for two flags in one configuration",
    what='Checks that every non-empty mnemonic is two lower-case letters or digits (not the "??" filler) '
    "and that no two different flags print the same code in a configuration where both entries exist.",
    why="VmFlags is parsed by splitting on spaces into two-letter codes; a duplicate code makes two flags "
    "indistinguishable.",
    example='[ilog2(VM_DROPPABLE)] = "dd",   /* "dd" is already VM_DONTDUMP */',
    fix="Choose an unused two-letter code.",
    scope=("R6",),
    needs=(TASK_MMU,),
    diff_only=True,
    table=TASK_MMU,
)
DUPLICATE_INDEX = RuleDoc(
    id="PC204",
    name="smaps-duplicate-index",
    severity=Severity.ERROR,
    summary="Two smaps entries for different flags write the same slot in one configuration",
    what="For each pair of entries of different flags, asks whether a configuration exists where both "
    'entries are compiled and both flags are the same bit. VM_ARCH_1\'s own "ar" overridden by an '
    "architecture's alias entry is intended and not reported. Without --tree, decided on the entries and "
    "definitions the hunks show, a configuration that depends on symbols they do not define a warning.",
    why="Designated initializers silently override each other (last one wins): one flag shows the other's "
    "code. It is the smaps symptom of a bit collision.",
    example='[ilog2(VM_MTE_ALLOWED)] = "",\n[ilog2(VM_GCS)] = "gc",   /* both bit 37 on arm64 */',
    fix="Resolve the underlying bit collision (PC102) or make the entries' guards exclusive.",
    scope=("R7",),
    needs=(MM_H, TASK_MMU, KCONFIG),
    table=TASK_MMU,
    diff_only=True,
)
VALUE_TEST = RuleDoc(
    id="PC205",
    name="smaps-guard-tests-flag-value",
    severity=Severity.WARNING,
    summary="A guard in the smaps table tests a VM_* value instead of a Kconfig symbol",
    what="Flags `#if VM_X` / `#if defined(VM_X)` style conditions inside show_smap_vma_flags().",
    why="VM_* values are not reliably evaluable by the preprocessor (BIT()/_BITUL() today, enums in newer "
    "kernels, where such a test is silently false). Use the Kconfig symbol that decides the value.",
    example='#if VM_PKEY_BIT3\n\t[ilog2(VM_PKEY_BIT3)] = "",\n#endif',
    fix="Test the Kconfig symbol instead, e.g. `#if CONFIG_ARCH_PKEY_BITS > 3`.",
    scope=("R8",),
    needs=(TASK_MMU,),
    diff_only=True,
)

_CODE = re.compile(r"[a-z0-9]{2}")


class SmapsChecker:
    rules = (MISSING, GUARD_MISMATCH, BAD_MNEMONIC, DUPLICATE_INDEX, VALUE_TEST)

    def reads(self, path: str) -> bool:
        return registry_reads(path)

    def run(self, ctx: CheckContext) -> Iterable[Finding]:
        reg = registry(ctx)
        entries = smaps_entries(ctx, reg)
        if entries is None:
            return
        yield from self._value_tests(ctx, reg, entries)
        yield from self._codes(ctx, reg, entries)
        if reg.diff_only:
            yield from self._decided(ctx, reg)
            return
        context = smaps_context(ctx, entries)
        for flag in reg.model.real_flags():
            if reg.wanted(ctx, flag.name):
                yield from self._flag(reg, flag, entries, context)
        yield from self._duplicate_slots(ctx, reg, entries, context)

    def _decided(self, ctx: CheckContext, reg: Registry) -> Iterator[Finding]:
        """Without a tree: PC202 for the flags the series introduces, where the hunks decide both the
        definition's guards and the entries' guards. Every Kconfig symbol is free: a mismatch is a WARNING
        naming the symbols it depends on (the tree's Kconfig may rule the configuration out)."""
        decided = reg.decided
        if decided is None or not decided.model.smaps:
            return
        yield from self._duplicate_slots(ctx, decided, decided.model.smaps, TRUE)
        introduced = introduced_flags(ctx)
        for flag in decided.model.real_flags():
            own = [e for e in decided.model.smaps if e.flag == flag.name]
            if flag.name not in introduced or not own or not reg.wanted(ctx, flag.name):
                continue
            for found in self._flag(decided, flag, own, TRUE, partial=True):
                if found.rule_id != GUARD_MISMATCH.id:
                    continue
                names = next((e for e in found.evidence if e.startswith("free: ")), "").removeprefix("free: ")
                example = next((e for e in found.evidence if e.startswith("example configuration: ")), "")
                yield replace(
                    found,
                    severity=Severity.WARNING,
                    message=f"{found.message} ({example.removeprefix('example configuration: ')}; "
                    f"unknown without the tree's Kconfig: {names or 'no symbol'})",
                    evidence=(
                        *(e for e in found.evidence if not e.startswith("free: ")),
                        "decided from the hunks alone, every Kconfig symbol free; with --tree the tree's "
                        "Kconfig decides it (an error)",
                    ),
                )

    def _flag(
        self, reg: Registry, flag: FlagDef, entries: list[SmapsEntry], context: Formula, partial: bool = False
    ) -> Iterator[Finding]:
        own = [e for e in entries if e.flag == flag.name]
        real = flag.real_guard
        alias = arch1_guard(flag) if flag.name != ARCH_1 else FALSE
        if not own:
            question = conj(context, real, neg(alias))
            answer = reg.holds(question)
            if answer is Answer.YES:
                yield finding(
                    MISSING,
                    f"{flag.name} has no smaps mnemonic: VmFlags shows '??' for it",
                    _def_location(flag),
                    flag.name,
                    (
                        f"{flag.name} is a real bit where {guard_text(real)}",
                        f"no [ilog2({flag.name})] entry in show_smap_vma_flags() ({TASK_MMU})",
                        f"example configuration: {reg.example(question)}",
                    ),
                    hint=_missing_hint(flag.name, real),
                )
            elif answer is Answer.UNRESOLVED:
                yield unresolved(
                    MISSING, flag.name, _def_location(flag), f"{flag.name} needs a mnemonic", question
                )
            return
        shown = disj(*(reg.model.resolve(e.local_guard) for e in own))
        loc = _entry_location(own[0])
        sites = tuple(f'{TASK_MMU}:{e.line}: "{e.mnemonic}" under {guard_text(e.local_guard)}' for e in own)
        definition = f"{flag.name} is a real bit where {guard_text(real)}"
        own_bit = conj(real, neg(alias))
        # A pure VM_ARCH_1 alias (VM_ARM64_BTI) may be named only where its feature is on: elsewhere the
        # arch never sets it and 'ar' is right. A flag that is its own bit and an alias only on some
        # architecture (VM_DROPPABLE on PPC32) must be named there too.
        alias_needed = alias if reg.holds(own_bit) is Answer.YES else FALSE
        checks = (
            (
                conj(context, own_bit, neg(shown)),
                "has no mnemonic in configurations where it is a real bit: VmFlags shows '??' there",
            ),
            (
                conj(context, alias_needed, neg(shown)),
                "has no mnemonic where it is an alias of VM_ARCH_1: VmFlags shows 'ar' there",
            ),
            (
                conj(context, shown, where_zero(flag)),
                'has a mnemonic where it is VM_NONE: ilog2(0) is 0, so the entry overwrites "rd"',
            ),
            (
                # Hunks may not show every definition of a flag: "undefined" is then only "not shown".
                FALSE if partial else conj(context, shown, where_undefined(flag)),
                "has a mnemonic where it is undefined: a build error",
            ),
        )
        wanted = real if alias_needed != FALSE else own_bit
        hint = (
            f"Guard the smaps entry of {flag.name} exactly where it is a bit to show: "
            f"`#if {render_c(absorb(wanted))}`."
        )
        for question, message in checks:
            answer = reg.holds(question)
            if answer is Answer.YES:
                example = reg.example(question)
                free = (f"free: {', '.join(free_symbols(question))}",) if partial else ()
                yield finding(
                    GUARD_MISMATCH,
                    f"{flag.name} {message}",
                    loc,
                    flag.name,
                    (definition, *sites, f"example configuration: {example}", *free),
                    hint=hint,
                )
            elif answer is Answer.UNRESOLVED:
                yield unresolved(
                    GUARD_MISMATCH,
                    flag.name,
                    loc,
                    f"the smaps entry of {flag.name} matches its definition",
                    question,
                )

    def _codes(self, ctx: CheckContext, reg: Registry, entries: list[SmapsEntry]) -> Iterator[Finding]:
        for e in entries:
            if not reg.wanted(ctx, e.flag):
                continue
            if e.mnemonic and (not _CODE.fullmatch(e.mnemonic)):
                yield finding(
                    BAD_MNEMONIC,
                    f"mnemonic {e.mnemonic!r} of {e.flag} is not two lower-case letters or digits",
                    _entry_location(e),
                    e.flag,
                    (f'{TASK_MMU}:{e.line}: [{e.index}] = "{e.mnemonic}"',),
                )
        by_code: dict[str, list[SmapsEntry]] = defaultdict(list)
        for e in entries:
            if e.mnemonic:
                by_code[e.mnemonic].append(e)
        for code, group in sorted(by_code.items()):
            for i, a in enumerate(group):
                for b in group[i + 1 :]:
                    if a.flag == b.flag or not (reg.wanted(ctx, a.flag) or reg.wanted(ctx, b.flag)):
                        continue
                    both = conj(reg.model.resolve(a.local_guard), reg.model.resolve(b.local_guard))
                    if reg.diff_only or reg.holds(both) is Answer.YES:
                        yield finding(
                            BAD_MNEMONIC,
                            f"mnemonic {code!r} is used for both {a.flag} and {b.flag}",
                            _entry_location(b),
                            b.flag,
                            (
                                f'{TASK_MMU}:{a.line}: {a.flag} = "{code}"',
                                f'{TASK_MMU}:{b.line}: {b.flag} = "{code}"',
                            ),
                        )

    def _duplicate_slots(
        self, ctx: CheckContext, reg: Registry, entries: list[SmapsEntry], context: Formula
    ) -> Iterator[Finding]:
        cases: dict[int, list[tuple[SmapsEntry, Formula, bool]]] = defaultdict(list)
        for e in entries:
            for guard, slot, value in reg.model.slot_cases(e.flag):
                if slot is not None and value.kind == "bit":
                    via_arch1 = ARCH_1 in value.via or e.flag == ARCH_1
                    cases[slot].append((e, conj(guard, reg.model.resolve(e.local_guard)), via_arch1))
        reported: set[tuple[str, str]] = set()
        for slot, group in sorted(cases.items()):
            for i, (a, ga, arch_a) in enumerate(group):
                for b, gb, arch_b in group[i + 1 :]:
                    pair = (a.flag, b.flag)
                    # VM_ARCH_1's own "ar" overridden by one architecture's alias is intended; two
                    # aliases naming bit 24 in one configuration are not.
                    generic = ARCH_1 in (a.flag, b.flag)
                    if a.flag == b.flag or pair in reported or (arch_a and arch_b and generic):
                        continue
                    if not (reg.wanted(ctx, a.flag) or reg.wanted(ctx, b.flag)):
                        continue
                    both = conj(context, ga, gb)
                    if reg.holds(both) is Answer.YES:
                        reported.add(pair)
                        found = finding(
                            DUPLICATE_INDEX,
                            f"smaps entries of {a.flag} and {b.flag} both write slot {slot}",
                            _entry_location(b),
                            b.flag,
                            (
                                f'{TASK_MMU}:{a.line}: [{a.index}] = "{a.mnemonic}"',
                                f'{TASK_MMU}:{b.line}: [{b.index}] = "{b.mnemonic}"',
                                f"example configuration: {reg.example(both)}",
                            ),
                        )
                        yield judged(reg, found, both, (ga, gb))

    def undecided(self, ctx: CheckContext) -> list[str]:
        return undecided(ctx, (DUPLICATE_INDEX,))

    def _value_tests(self, ctx: CheckContext, reg: Registry, entries: list[SmapsEntry]) -> Iterator[Finding]:
        if not entries:
            return
        yield from value_test_findings(
            ctx, VALUE_TEST, TASK_MMU, min(e.line for e in entries), max(e.line for e in entries)
        )


_ENTRY = re.compile(r'\[\s*ilog2\s*\(\s*(VM_\w+)\s*\)\s*\]\s*=\s*"([^"]*)"')


def smaps_entries(ctx: CheckContext, reg: Registry) -> list[SmapsEntry] | None:
    """The model's smaps table; without --tree, where a hunk shows table lines but not the function around
    them, the `[ilog2(VM_X)] = "xx"` lines themselves (guards unknown)."""
    if reg.model.smaps is not None or not reg.diff_only:
        return reg.model.smaps
    text = read_text(ctx.tree, TASK_MMU)
    if text is None:
        return None
    found = []
    for number, line in enumerate(text.split("\n"), start=1):
        m = _ENTRY.search(line)
        if m:
            found.append(SmapsEntry(m.group(1), m.group(2), TRUE, number, f"ilog2({m.group(1)})", TRUE))
    return found


def smaps_context(ctx: CheckContext, entries: list[SmapsEntry]) -> Formula:
    """Where the table exists: the guard around show_smap_vma_flags() and task_mmu.o's Makefile condition."""
    outer = next((e.guard for e in entries if e.local_guard == TRUE), TRUE)
    built = build_condition(ctx, TASK_MMU)
    return conj(outer, built if built is not None else TRUE)


def _entry_location(e: SmapsEntry) -> Location:
    return Location(TASK_MMU, e.line)


def _def_location(flag: FlagDef) -> Location:
    return Location(flag.path, flag.lines[0] if flag.lines else None)


def _missing_hint(name: str, real: Formula) -> str:
    """PC201's fix with the flag's own guard, which its entry must match."""
    where = "with no guard, as its definition" if real == TRUE else f"under `#if {render_c(absorb(real))}`"
    return f'Add `[ilog2({name})] = "xx",` to show_smap_vma_flags() {where}, and document xx in proc.rst.'
