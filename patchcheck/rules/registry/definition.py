"""PC102-PC104: the flag definitions in include/linux/mm.h (field guide R2-R5; R1 is in uses.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from patchcheck.model import FlagDef
from patchcheck.model.core import CORE_BITS
from patchcheck.report.finding import Finding, Location, Severity
from patchcheck.rules.base import CheckContext, RuleDoc
from patchcheck.rules.registry.common import (
    ARCH_1,
    KCONFIG,
    MM_H,
    Registry,
    arch1_guard,
    finding,
    guard_text,
    introduced_flags,
    registry,
    registry_reads,
    unresolved,
)
from patchcheck.rules.registry.treeless import judged, undecided, written_flags
from patchcheck.source.facts import Answer
from patchcheck.source.guards import Formula, Sym, conj, disj, neg

COLLISION = RuleDoc(
    id="PC102",
    name="flag-bit-collision",
    severity=Severity.ERROR,
    summary="Two distinct flags resolve to the same bit in a configuration that can be built",
    what="For every pair of flags that can share a bit, asks the Kconfig facts whether a configuration "
    "exists in which both are that bit. Aliases of VM_ARCH_1 (checked by PC104), the VM_HIGH_ARCH_n "
    "bits shared by pkeys, MTE and shadow stack on different architectures, and masks such as "
    "VM_STACK are not collisions as long as no buildable configuration has both."
    " Without --tree, decided for the flags the hunks show defined, one of them written by the series (a "
    "core flag's bit is PC151's); a finding that depends on Kconfig symbols the series does not define is "
    "a warning naming them, and the rule is listed as skipped wherever the series defines a bit, since "
    "flags the hunks do not show may be on it (docs/rules.md).",
    why="Two flags on one bit make every test of one true for the other: smaps shows one mnemonic for "
    "both, mprotect or fork semantics of one leak into the other.",
    example="#define VM_UFFD_MINOR_BIT 38\n...\n#define VM_NEW_FLAG BIT(38)   /* both on x86_64 */",
    fix="Pick a free bit, or make the two definitions exclusive by their Kconfig guards.",
    scope=("R2",),
    needs=(MM_H, KCONFIG),
    diff_only=True,
)
WIDTH = RuleDoc(
    id="PC103",
    name="high-bit-without-64bit",
    severity=Severity.ERROR,
    summary="A flag uses a bit at or above 32 in a configuration that is not 64-bit",
    what="For each definition of a flag as bit 32 or higher, asks whether its guard can hold without "
    "CONFIG_64BIT (directly or through the Kconfig symbols that select it)."
    " Without --tree, decided on the guards the hunks show; a finding that depends on Kconfig symbols "
    "the series does not define is a warning naming them (docs/rules.md).",
    why="vm_flags is an unsigned long: on a 32-bit kernel a high bit does not exist; BIT(38) overflows "
    "and the smaps table index is out of range.",
    example="#ifdef CONFIG_NEED_VM_X   /* selectable on 32-bit */\n#define VM_X VM_HIGH_ARCH_6\n#endif",
    fix="Guard the definition with CONFIG_64BIT, or make the enabling symbol depend on 64BIT.",
    scope=("R3",),
    needs=(MM_H, KCONFIG),
    diff_only=True,
)
ARCH1_ALIAS = RuleDoc(
    id="PC104",
    name="arch1-alias-conflict",
    severity=Severity.ERROR,
    summary="Two VM_ARCH_1 aliases live in one configuration, or an alias is cleared by VM_ARCH_CLEAR",
    what="VM_ARCH_1 (bit 24) is lent to one architecture-specific flag per architecture. Checks that no "
    "configuration has two aliases of it, and that an alias is not in a configuration where "
    "VM_ARCH_CLEAR names a different alias (mprotect() clears VM_ARCH_CLEAR on every call)."
    " Without --tree, decided on the guards the hunks show; a finding that depends on Kconfig symbols "
    "the series does not define is a warning naming them (docs/rules.md).",
    why="Two aliases on one arch are one flag; an alias under VM_ARCH_CLEAR silently disappears on the "
    "next mprotect().",
    example="#elif defined(CONFIG_ARM64)\n# define VM_ARM64_BTI VM_ARCH_1\n"
    "# define VM_ARCH_CLEAR VM_ARM64_BTI\n"
    "...\n#ifdef CONFIG_ARM64\n#define VM_NEW VM_ARCH_1\n#endif",
    fix="Use VM_ARCH_1 only on an architecture that has no other alias and no VM_ARCH_CLEAR of it.",
    scope=("R4", "R21"),
    needs=(MM_H, KCONFIG),
    diff_only=True,
)


class DefinitionChecker:
    rules = (COLLISION, WIDTH, ARCH1_ALIAS)

    def reads(self, path: str) -> bool:
        return registry_reads(path)

    def undecided(self, ctx: CheckContext) -> list[str]:
        return undecided(ctx, (COLLISION, WIDTH, ARCH1_ALIAS))

    def run(self, ctx: CheckContext) -> Iterable[Finding]:
        reg = registry(ctx)
        if reg.diff_only:  # PC102, PC103 and PC104 on what the hunks decide
            if reg.decided is not None:
                flags = reg.decided.model.real_flags()
                yield from self._collisions(ctx, reg.decided, flags, written_flags(ctx))
                yield from self._width(ctx, reg.decided, flags)
                yield from self._arch1(ctx, reg.decided, flags)
            return
        flags = reg.model.real_flags()
        yield from self._collisions(ctx, reg, flags)
        yield from self._width(ctx, reg, flags)
        yield from self._arch1(ctx, reg, flags)

    # R2 ---------------------------------------------------------------------------------------------
    def _collisions(
        self, ctx: CheckContext, reg: Registry, flags: list[FlagDef], written: set[str] | None = None
    ) -> Iterator[Finding]:
        """`written`, without a tree: only pairs with a flag the series defines (the others are not the
        series' doing), and no core flag (PC151 reports a new flag on a core bit)."""
        introduced = introduced_flags(ctx)
        if written is not None:
            flags = [f for f in flags if f.name == ARCH_1 or f.name not in CORE_BITS]
        for i, a in enumerate(flags):
            for b in flags[i + 1 :]:
                if written is not None and not {a.name, b.name} & written:
                    continue
                # The finding (and its fix, "pick a free bit") goes to the flag that must move: the one the
                # series introduces, else the later definition.
                blamed = a if a.name in introduced and b.name not in introduced else b
                if not (reg.wanted(ctx, a.name) or reg.wanted(ctx, b.name)):
                    continue
                shared = set(a.bits) & set(b.bits)
                overlap = disj(*(conj(_own_bit(a, bit, b), _own_bit(b, bit, a)) for bit in sorted(shared)))
                if overlap == disj():
                    continue
                answer = reg.holds(overlap)
                loc = Location(MM_H, line_of(blamed))
                if answer is Answer.YES:
                    bits = sorted(
                        bit
                        for bit in shared
                        if reg.holds(conj(_own_bit(a, bit, b), _own_bit(b, bit, a))) is Answer.YES
                    )
                    reasons: list[str] = []
                    example = reg.example(overlap, reasons)
                    found = finding(
                        COLLISION,
                        f"{a.name} and {b.name} are both bit {', '.join(map(str, bits))} "
                        f"in some configuration",
                        loc,
                        blamed.name,
                        (
                            f"{MM_H}:{_bit_line(a, bits[0])}: {a.name} is bit {bits[0]} where "
                            f"{guard_text(_own_bit(a, bits[0], b))}",
                            f"{MM_H}:{_bit_line(b, bits[0])}: {b.name} is bit {bits[0]} where "
                            f"{guard_text(_own_bit(b, bits[0], a))}",
                            f"example configuration: {example}",
                            *reasons,
                        ),
                    )
                    own = (_own_bit(a, bits[0], b), _own_bit(b, bits[0], a))
                    yield judged(reg, found, overlap, own)
                elif answer is Answer.UNRESOLVED:
                    yield unresolved(
                        COLLISION, blamed.name, loc, f"{a.name} and {b.name} share a bit", overlap
                    )

    # R3 ---------------------------------------------------------------------------------------------
    def _width(self, ctx: CheckContext, reg: Registry, flags: list[FlagDef]) -> Iterator[Finding]:
        for flag in flags:
            if not reg.wanted(ctx, flag.name):
                continue
            for variant in flag.variants:
                if variant.value.kind != "bit" or (variant.value.bit or 0) < 32:
                    continue
                question = conj(variant.guard, neg(Sym("64BIT")))
                answer = reg.holds(question)
                loc = Location(MM_H, variant.line or line_of(flag))
                if answer is Answer.YES:
                    found = finding(
                        WIDTH,
                        f"{flag.name} is bit {variant.value.bit} where {guard_text(variant.guard)}, "
                        "which does not imply CONFIG_64BIT",
                        loc,
                        flag.name,
                        (
                            f"{MM_H}:{variant.line}: {flag.name} = {variant.raw}",
                            f"example 32-bit configuration: {reg.example(question)}",
                        ),
                    )
                    yield judged(reg, found, question, (variant.guard,))
                elif answer is Answer.UNRESOLVED:
                    yield unresolved(
                        WIDTH, flag.name, loc, f"{flag.name}'s high bit needs CONFIG_64BIT", question
                    )

    # R4 ---------------------------------------------------------------------------------------------
    def _arch1(self, ctx: CheckContext, reg: Registry, flags: list[FlagDef]) -> Iterator[Finding]:
        aliases = [f for f in flags if f.name != ARCH_1 and arch1_guard(f) != disj()]
        for i, a in enumerate(aliases):
            for b in aliases[i + 1 :]:
                if not (reg.wanted(ctx, a.name) or reg.wanted(ctx, b.name)):
                    continue
                both = conj(arch1_guard(a), arch1_guard(b))
                answer = reg.holds(both)
                loc = Location(MM_H, line_of(b))
                if answer is Answer.YES:
                    found = finding(
                        ARCH1_ALIAS,
                        f"{a.name} and {b.name} are both aliases of VM_ARCH_1 in one configuration",
                        loc,
                        b.name,
                        (
                            f"{a.name} = VM_ARCH_1 where {guard_text(arch1_guard(a))}",
                            f"{b.name} = VM_ARCH_1 where {guard_text(arch1_guard(b))}",
                            f"example configuration: {reg.example(both)}",
                        ),
                    )
                    yield judged(reg, found, both, (arch1_guard(a), arch1_guard(b)))
                elif answer is Answer.UNRESOLVED:
                    yield unresolved(
                        ARCH1_ALIAS, b.name, loc, f"{a.name} and {b.name} alias VM_ARCH_1 together", both
                    )
        clear = reg.model.flags.get("VM_ARCH_CLEAR")
        if clear is None:
            return
        for alias in aliases:
            if not reg.wanted(ctx, alias.name):
                continue
            for variant in clear.variants:
                via = variant.value.via
                if variant.value.kind != "bit" or ARCH_1 not in via or alias.name in via:
                    continue
                both = conj(arch1_guard(alias), variant.guard)
                if reg.holds(both) is Answer.YES:
                    found = finding(
                        ARCH1_ALIAS,
                        f"{alias.name} is VM_ARCH_1 where VM_ARCH_CLEAR = {via[0]}: "
                        "every mprotect() clears it",
                        Location(MM_H, line_of(alias)),
                        alias.name,
                        (
                            f"{MM_H}:{variant.line}: VM_ARCH_CLEAR = {variant.raw} "
                            f"where {guard_text(variant.guard)}",
                            f"example configuration: {reg.example(both)}",
                        ),
                    )
                    yield judged(reg, found, both, (arch1_guard(alias), variant.guard))


def _own_bit(flag: FlagDef, bit: int, other: FlagDef) -> Formula:
    """Where `flag` is `bit` in its own right: a VM_ARCH_1 alias sharing bit 24 with VM_ARCH_1 itself or with
    another alias is not a collision (PC104 checks aliases against each other)."""
    parts = []
    for v in flag.variants:
        if v.value.kind != "bit" or v.value.bit != bit:
            continue
        via_arch1 = ARCH_1 in v.value.via or flag.name == ARCH_1
        if via_arch1 and (other.name == ARCH_1 or any(ARCH_1 in w.value.via for w in other.variants)):
            continue
        parts.append(v.guard)
    return disj(*parts)


def line_of(flag: FlagDef) -> int:
    return flag.lines[0] if flag.lines else 0


def _bit_line(flag: FlagDef, bit: int) -> int:
    """The #define that makes `flag` this bit (a flag split over several #if blocks has one per block)."""
    return next(
        (v.line for v in flag.variants if v.value.kind == "bit" and v.value.bit == bit and v.line),
        line_of(flag),
    )
