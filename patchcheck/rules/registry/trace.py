"""PC3xx: trace names, __def_vmaflag_names in include/trace/events/mmflags.h (field guide R9-R12, R17)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from patchcheck.model import FlagDef, TraceEntry
from patchcheck.report.finding import Finding, Location, Severity
from patchcheck.rules.base import CheckContext, RuleDoc
from patchcheck.rules.registry.common import (
    ARCH_1,
    KCONFIG,
    MM_H,
    MMFLAGS,
    Registry,
    arch1_guard,
    finding,
    free_symbols,
    guard_text,
    introduced_flags,
    on_pool,
    registry,
    registry_reads,
    unresolved,
    where_undefined,
    where_zero,
)
from patchcheck.rules.registry.valuetests import value_test_findings
from patchcheck.source.facts import Answer
from patchcheck.source.guards import FALSE, Arch, Formula, conj, disj, neg

GUARD_MISMATCH = RuleDoc(
    id="PC301",
    name="trace-guard-mismatch",
    severity=Severity.ERROR,
    summary="A trace entry is compiled where its flag is 0, or missing where the flag is a real bit",
    what="Compares the guard of each flag's __def_vmaflag_names entry (including its IF_HAVE_*() wrapper) "
    "with where the flag is a real bit. An entry where the flag is 0/VM_NONE is an error: "
    "trace_print_flags_seq() matches a zero mask on every VMA and prints the name for all of them. An "
    "entry missing where the flag exists is a warning (the bit prints as a raw number). Without a tree "
    "it runs on the flags the series introduces where the hunks show the definition, the entry and its "
    "wrapper's definitions: Kconfig symbols are then free, so a mismatch is a warning naming them.",
    why="vma flags in tracepoints and dump_vma() output name flags the VMA does not have.",
    example='{VM_NEW, "new"},   /* unwrapped; VM_NEW is VM_NONE on 32-bit */',
    fix="Wrap the entry in an IF_HAVE_*() macro defined under exactly the flag's definition guard.",
    scope=("R9", "R17"),
    diff_only=True,
    needs=(MM_H, MMFLAGS, KCONFIG),
    table=MMFLAGS,
)
VALUE_TEST = RuleDoc(
    id="PC302",
    name="trace-guard-tests-flag-value",
    severity=Severity.ERROR,
    summary="A condition in mmflags.h tests a VM_* value instead of a Kconfig symbol",
    what="Flags `#if`/`#ifdef` conditions in include/trace/events/mmflags.h that test VM_* macros.",
    why="mmflags.h is included by trace headers without linux/mm.h and re-read by define_trace.h, so a VM_* "
    "macro is often undefined there: the test is silently false (or breaks builds only other "
    "configurations see).",
    example="#if VM_DROPPABLE != VM_NONE\n# define IF_HAVE_VM_DROPPABLE(flag, name) {flag, name},",
    fix="Test the Kconfig symbols of the flag's definition guard (e.g. `#if defined(CONFIG_64BIT) || "
    "defined(CONFIG_PPC32)`).",
    scope=("R10",),
    needs=(MMFLAGS,),
    diff_only=True,
)
NO_NAME = RuleDoc(
    id="PC303",
    name="trace-name-missing",
    severity=Severity.WARNING,
    summary="A generic flag has no trace name",
    what="Reports flags that are a real bit on more than one architecture and have no __def_vmaflag_names "
    "entry. Architecture-specific flags, flags on an architecture pool bit (VM_HIGH_ARCH_n, even where "
    "several architectures define them: shadow stack on x86 and arm64), flags that are only VM_ARCH_1 "
    "aliases (named by __VM_ARCH_SPECIFIC_1) and flags whose smaps mnemonic is empty (reported elsewhere, "
    "e.g. pkeys) are exempt: by convention they have none.",
    why="Convention, not a hard rule: tracepoints and dump_vma() print an unnamed bit as a number.",
    example='#define VM_SEALED _BITUL(63)   /* no {VM_SEALED, "sealed"} in mmflags.h */',
    fix='Add {VM_X, "name"} to __def_vmaflag_names, wrapped like the definition if the flag can be 0.',
    scope=("R11",),
    needs=(MM_H, MMFLAGS, KCONFIG),
    table=MMFLAGS,
)
ARCH1_SHADOWED = RuleDoc(
    id="PC304",
    name="trace-arch1-alias-shadowed",
    severity=Severity.WARNING,
    summary="A VM_ARCH_1 alias's own trace name is shadowed by the architecture entry",
    what="Where a flag is an alias of VM_ARCH_1 and has its own trace entry, checks that "
    "__VM_ARCH_SPECIFIC_1 names that flag on that architecture. Entries are matched in order and the "
    "first match clears the bit, so the earlier arch entry wins.",
    why="The flag's own name is never printed on that architecture; 'arch_1' (or another alias's name) is.",
    example='#else\n#define __VM_ARCH_SPECIFIC_1 {VM_ARCH_1, "arch_1"}\n'
    "/* on PPC32, where VM_DROPPABLE is VM_ARCH_1 */",
    fix="Add a branch to __VM_ARCH_SPECIFIC_1 naming the alias on that architecture.",
    scope=("R12",),
    needs=(MM_H, MMFLAGS, KCONFIG),
)


class TraceChecker:
    rules = (GUARD_MISMATCH, VALUE_TEST, NO_NAME, ARCH1_SHADOWED)

    def reads(self, path: str) -> bool:
        return registry_reads(path)

    def run(self, ctx: CheckContext) -> Iterable[Finding]:
        reg = registry(ctx)
        if reg.diff_only:
            yield from self._decided(ctx, reg)
        entries = reg.model.trace
        if entries is None:
            return
        yield from value_test_findings(ctx, VALUE_TEST, MMFLAGS, 1, 10**9)
        if reg.diff_only:
            return
        for flag in reg.model.real_flags():
            if not reg.wanted(ctx, flag.name):
                continue
            own = [e for e in entries if e.flag == flag.name]
            if own:
                yield from self._guards(reg, flag, own, entries)
                yield from self._shadowed(reg, flag, own, entries)
            else:
                yield from self._unnamed(reg, flag)

    def _decided(self, ctx: CheckContext, reg: Registry) -> Iterator[Finding]:
        """Without a tree: PC301 for the flags the series introduces whose definition and trace entries
        (and the entries' IF_HAVE_* wrappers) the hunks decide; Kconfig symbols are free, so a warning."""
        decided = reg.decided
        if decided is None or not decided.model.trace:
            return
        introduced = introduced_flags(ctx)
        for flag in decided.model.real_flags():
            own = [e for e in decided.model.trace if e.flag == flag.name]
            if flag.name not in introduced or not own or not reg.wanted(ctx, flag.name):
                continue
            for found in self._guards(decided, flag, own, decided.model.trace):
                if found.rule_id != GUARD_MISMATCH.id or "is undefined" in found.message:
                    continue  # hunks may not show every definition: "undefined" is only "not shown"
                example = next((e for e in found.evidence if e.startswith("example configuration: ")), "")
                names = ", ".join(free_symbols(conj(*(e.guard for e in own), flag.defined_guard)))
                yield replace(
                    found,
                    severity=Severity.WARNING,
                    message=f"{found.message} ({example.removeprefix('example configuration: ')}; "
                    f"unknown without the tree's Kconfig: {names or 'no symbol'})",
                    evidence=(
                        *found.evidence,
                        "decided from the hunks alone, every Kconfig symbol free; "
                        "with --tree the tree's Kconfig decides it (an error)",
                    ),
                )

    def _guards(
        self, reg: Registry, flag: FlagDef, own: list[TraceEntry], entries: list[TraceEntry]
    ) -> Iterator[Finding]:
        sites = tuple(
            f'{MMFLAGS}:{e.line}: {{{e.flag}, "{e.name}"}} under {guard_text(e.guard)}'
            + (f" (via {e.wrapper})" if e.wrapper else "")
            for e in own
        )
        definition = f"{flag.name} is a real bit where {guard_text(flag.real_guard)}"
        for e in own:
            loc = Location(MMFLAGS, e.line)
            for bad, message in ((where_zero(flag), "is 0"), (where_undefined(flag), "is undefined")):
                question = conj(e.guard, bad)
                answer = reg.holds(question)
                if answer is Answer.YES:
                    consequence = (
                        f'a zero mask matches any flags, so every VMA is printed as "{e.name}"'
                        if message == "is 0"
                        else "a build error"
                    )
                    yield finding(
                        GUARD_MISMATCH,
                        f'trace entry "{e.name}" is compiled where {flag.name} {message}: {consequence}',
                        loc,
                        flag.name,
                        (definition, *sites, f"example configuration: {reg.example(question)}"),
                    )
                elif answer is Answer.UNRESOLVED:
                    yield unresolved(
                        GUARD_MISMATCH,
                        flag.name,
                        loc,
                        f'trace entry "{e.name}" is compiled where {flag.name} {message}',
                        question,
                    )
        named = disj(*(e.guard for e in own))
        if flag.name == ARCH_1:  # every branch of __VM_ARCH_SPECIFIC_1 names bit 24
            named = disj(named, *(e.guard for e in entries if e.arch_specific))
        question = conj(_own_bit(flag), neg(named))
        answer = reg.holds(question)
        if answer is Answer.YES:
            yield finding(
                GUARD_MISMATCH,
                f"{flag.name} has no trace name in some configurations where it is a real bit",
                Location(MMFLAGS, own[0].line),
                flag.name,
                (definition, *sites, f"example configuration: {reg.example(question)}"),
                severity=Severity.WARNING,
            )

    def _shadowed(
        self, reg: Registry, flag: FlagDef, own: list[TraceEntry], entries: list[TraceEntry]
    ) -> Iterator[Finding]:
        alias = arch1_guard(flag) if flag.name != ARCH_1 else FALSE
        if alias == FALSE:
            return
        for e in own:
            if e.arch_specific:
                continue
            for arch_entry in entries:
                if not arch_entry.arch_specific or arch_entry.flag == flag.name or arch_entry.line > e.line:
                    continue
                question = conj(alias, e.guard, arch_entry.guard)
                if reg.holds(question) is Answer.YES:
                    yield finding(
                        ARCH1_SHADOWED,
                        f"{flag.name} is VM_ARCH_1 where {guard_text(alias)}, but __VM_ARCH_SPECIFIC_1 names "
                        f'that bit "{arch_entry.name}" there: "{e.name}" is never printed',
                        Location(MMFLAGS, e.line),
                        flag.name,
                        (
                            f"{MMFLAGS}:{arch_entry.line}: __VM_ARCH_SPECIFIC_1 = {{{arch_entry.flag}, "
                            f'"{arch_entry.name}"}} under {guard_text(arch_entry.guard)}',
                            f'{MMFLAGS}:{e.line}: {{{e.flag}, "{e.name}"}} under {guard_text(e.guard)}',
                            f"example configuration: {reg.example(question)}",
                        ),
                    )

    def _unnamed(self, reg: Registry, flag: FlagDef) -> Iterator[Finding]:
        own_bit = _own_bit(flag)
        if reg.holds(own_bit) is not Answer.YES:
            return  # only ever an alias of VM_ARCH_1: named by __VM_ARCH_SPECIFIC_1
        if any(e.mnemonic == "" for e in reg.model.smaps_for(flag.name)):
            return  # reported elsewhere (ProtectionKey:, MTE)
        if all(on_pool(v) for v in flag.variants if v.value.kind == "bit"):
            return  # an architecture's flag on the bits kept for them, however many architectures define it
        arches: list[str] = []
        for arch in reg.facts.arches:  # two are enough to call it generic
            if len(arches) < 2 and reg.holds(conj(own_bit, Arch(arch))) is Answer.YES:
                arches.append(arch)
        if reg.facts.has_kconfig and len(arches) <= 1:
            return  # architecture-specific
        yield finding(
            NO_NAME,
            f"{flag.name} has no trace name in __def_vmaflag_names",
            Location(flag.path, flag.lines[0] if flag.lines else None),
            flag.name,
            (
                f"{flag.name} is a real bit where {guard_text(flag.real_guard)}",
                f"exists on more than one architecture, e.g. {', '.join(arches)}"
                if arches
                else "architectures unknown (no Kconfig)",
            ),
        )


def _own_bit(flag: FlagDef) -> Formula:
    """Where the flag is a bit of its own (not VM_ARCH_1 lent to it, which the arch entry names)."""
    return flag.real_guard if flag.name == ARCH_1 else conj(flag.real_guard, neg(arch1_guard(flag)))
