"""PC107-PC108: how a flag is declared in include/linux/mm.h, in either style.

- PC107: a flag split over several `#if` blocks is defined twice wherever two blocks can both be compiled
  (an `#ifndef` fallback never overlaps: it applies only where no block defined the flag). Same body: a
  redundant definition (WARNING); different bodies: the later silently wins, with a compiler warning at best
  (ERROR).
- PC108 (style B): the enum entry `DECLARE_VMA_BIT(X, n)` / `DECLARE_VMA_BIT_ALIAS(X, Y)` and the mask
  `#define VM_X INIT_VM_FLAG(X)` carry separate guards that must agree. A mask compiled where its enumerator
  is not declared is a build error (ERROR); a guarded enumerator declared where its mask is not a bit is an
  unused bit (WARNING). Unguarded enumerators are the style's norm (bit numbers always declared) and not
  reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from patchcheck.model import FlagDef
from patchcheck.report.finding import Finding, Location, Severity
from patchcheck.rules.base import CheckContext, RuleDoc
from patchcheck.rules.registry.common import (
    KCONFIG,
    MM_H,
    Registry,
    finding,
    guard_text,
    registry,
    registry_reads,
    unresolved,
)
from patchcheck.rules.registry.treeless import enum_mask_decided, judged, undecided
from patchcheck.source.facts import Answer
from patchcheck.source.guards import TRUE, conj, disj, neg

DEFINED_TWICE = RuleDoc(
    id="PC107",
    name="flag-defined-twice",
    severity=Severity.ERROR,
    summary="A flag defined in two #if blocks that can both be compiled in one configuration",
    what="Every #if block that defines a flag is a variant of it in its own configurations; an #ifndef "
    "fallback applies only where no block defined it. For each pair of definitions of one flag, asks the "
    "Kconfig facts whether a configuration compiles both. Identical bodies are a warning, different ones "
    "an error."
    " Without --tree, decided on the guards the hunks show; a finding that depends on Kconfig symbols "
    "the series does not define is a warning naming them (docs/rules.md).",
    why="With two different bodies the later #define silently replaces the earlier one (the compiler warns "
    "at most): the flag is a different bit than the first block says, in exactly the configurations that "
    "enable both blocks.",
    example="#ifdef CONFIG_X86_DEMO\n# define VM_DEMO VM_HIGH_ARCH_6\n#endif\n"
    "#ifdef CONFIG_64BIT   /* also true on x86_64 */\n# define VM_DEMO VM_HIGH_ARCH_0\n#endif",
    fix="Make the blocks exclusive (an #elif chain or disjoint guards), or drop the redundant definition.",
    scope=("R2", "R5"),
    needs=(MM_H, KCONFIG),
    diff_only=True,
)
ENUM_MASK = RuleDoc(
    id="PC108",
    name="enum-mask-guard-mismatch",
    severity=Severity.ERROR,
    summary="A flag's enum entry (VMA_X_BIT) and its mask (VM_X = INIT_VM_FLAG(X)) have disagreeing guards",
    what="In the bit-number style, the enum entry that declares VMA_X_BIT and the #define of VM_X from it "
    "are under separate guards. Reports a mask compiled where its enumerator is not declared (error), and "
    "a guarded enumerator declared where its mask is not a bit (warning: the bit is reserved but unused)."
    " Without --tree, decided for a flag the series introduces when the hunks show both its enum entry and "
    "its mask with their guards; a finding that depends on Kconfig symbols the series does not define is "
    "a warning naming them, and a flag whose entry or mask the hunks do not show is listed as skipped "
    "(docs/rules.md).",
    why="INIT_VM_FLAG(X) expands to BIT(VMA_X_BIT): where the enumerator is missing, every user of VM_X "
    "fails to build, in just the configurations the two guards disagree on.",
    example="enum {\n#ifdef CONFIG_ARM64_DEMO\n\tDECLARE_VMA_BIT_ALIAS(DEMO, HIGH_ARCH_0),\n#endif\n};\n"
    "#ifdef CONFIG_64BIT\n#define VM_DEMO INIT_VM_FLAG(DEMO)\n#endif",
    fix="Give the enum entry and the mask the same guard (and a VM_NONE fallback for the mask elsewhere).",
    scope=("R1", "R5"),
    needs=(MM_H, KCONFIG),
    diff_only=True,
)


class DeclarationChecker:
    rules = (DEFINED_TWICE, ENUM_MASK)

    def reads(self, path: str) -> bool:
        return registry_reads(path)

    def undecided(self, ctx: CheckContext) -> list[str]:
        return undecided(ctx, (DEFINED_TWICE, ENUM_MASK))

    def run(self, ctx: CheckContext) -> Iterable[Finding]:
        reg = registry(ctx)
        if reg.diff_only:  # PC107 and PC108 on the definitions whose guards the hunks decide
            decided = reg.decided
            if decided is None:
                return
            paired = enum_mask_decided(ctx)[0]
            for flag in decided.model.flags.values():
                if flag.kind != "constant" and reg.wanted(ctx, flag.name):
                    yield from _defined_twice(decided, flag)
                    if flag.name in paired and flag.kind in ("flag", "slot"):
                        yield from _enum_mask(decided, flag)
            return
        for flag in reg.model.flags.values():
            if flag.kind == "constant" or not reg.wanted(ctx, flag.name):
                continue
            yield from _defined_twice(reg, flag)
            if flag.kind in ("flag", "slot"):
                yield from _enum_mask(reg, flag)


def _defined_twice(reg: Registry, flag: FlagDef) -> Iterator[Finding]:
    defs = flag.definitions
    for i, first in enumerate(defs):
        for second in defs[i + 1 :]:
            # an #undef between the two ends the first where it is compiled: a redefinition, not a double one
            undone = [u.guard for u in flag.undefs if first.line < u.line < second.line]
            both = conj(first.guard, second.guard, *(neg(u) for u in undone))
            answer = reg.holds(both)
            loc = Location(MM_H, second.line)
            if answer is Answer.YES:
                same = " ".join(first.body.split()) == " ".join(second.body.split())
                reasons: list[str] = []
                example = reg.example(both, reasons)
                what = (
                    "the same body (redundant)"
                    if same
                    else f"a different value: {_value(flag, second.line)} replaces {_value(flag, first.line)}"
                )
                found = finding(
                    DEFINED_TWICE,
                    f"{flag.name} is defined twice where {guard_text(both)}, with {what}",
                    loc,
                    flag.name,
                    (
                        f"{MM_H}:{first.line}: #define {flag.name} {first.body} where "
                        f"{guard_text(first.guard)}",
                        f"{MM_H}:{second.line}: #define {flag.name} {second.body} where "
                        f"{guard_text(second.guard)}",
                        f"example configuration: {example}",
                        *reasons,
                    ),
                    severity=Severity.WARNING if same else Severity.ERROR,
                )
                yield judged(reg, found, both, (first.guard, second.guard))
            elif answer is Answer.UNRESOLVED:
                yield unresolved(
                    DEFINED_TWICE,
                    flag.name,
                    loc,
                    f"both definitions of {flag.name} are compiled in one configuration",
                    both,
                )


def _enum_mask(reg: Registry, flag: FlagDef) -> Iterator[Finding]:
    if not flag.enumerators:
        return
    enumerator = f"VMA_{flag.name[3:]}_BIT"
    declared = disj(*(e.guard for e in flag.enumerators))
    first = flag.enumerators[0]
    # The mask where its own enumerator is missing: the model's "undefined" variants through VMA_X_BIT.
    for v in flag.variants:
        if v.value.kind != "undefined" or v.value.via[:1] != (enumerator,):
            continue
        answer = reg.holds(v.guard)
        loc = Location(MM_H, v.line or first.line)
        if answer is Answer.YES:
            found = finding(
                ENUM_MASK,
                f"{flag.name} is defined from {enumerator} where {guard_text(v.guard)}, but {enumerator} "
                "is not declared there: a build error",
                loc,
                flag.name,
                (
                    f"{MM_H}:{v.line}: #define {flag.name} {v.raw}",
                    *(
                        f"{MM_H}:{e.line}: {enumerator} = {e.body} where {guard_text(e.guard)}"
                        for e in flag.enumerators
                    ),
                    f"example configuration: {reg.example(v.guard)}",
                ),
            )
            yield judged(reg, found, v.guard, [d.guard for d in flag.definitions if d.line == v.line])
        elif answer is Answer.UNRESOLVED:
            yield unresolved(
                ENUM_MASK,
                flag.name,
                loc,
                f"{flag.name}'s enumerator is declared wherever it is used",
                v.guard,
            )
    if declared == TRUE or reg.holds(neg(declared)) is Answer.NO:
        return  # declared everywhere (unguarded, or an #ifdef/#else pair choosing alias or bit)
    unused = conj(declared, neg(flag.real_guard))
    answer = reg.holds(unused)
    if answer is Answer.YES:
        found = finding(
            ENUM_MASK,
            f"{enumerator} is declared where {guard_text(unused)}, but {flag.name} is not a bit there: "
            "the enum entry's guard and the mask's disagree (an unused bit)",
            Location(MM_H, first.line),
            flag.name,
            (
                *(
                    f"{MM_H}:{e.line}: {enumerator} = {e.body} where {guard_text(e.guard)}"
                    for e in flag.enumerators
                ),
                f"{flag.name} is a bit where {guard_text(flag.real_guard)}",
                f"example configuration: {reg.example(unused)}",
            ),
            severity=Severity.WARNING,
        )
        yield judged(reg, found, unused, [e.guard for e in flag.enumerators])


def _value(flag: FlagDef, line: int) -> str:
    """What the #define on `line` makes the flag (its variants' values), e.g. "bit 41"."""
    values = dict.fromkeys(
        v.value.describe() for v in flag.variants if v.line == line and v.value.kind != "undefined"
    )
    return " or ".join(values) or "undefined"
