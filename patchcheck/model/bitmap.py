"""The bits of `vm_flags` per architecture (64, or 32 where no configuration is 64-bit): which flag holds each
bit under which guard, which bits are free, which belong to the VM_HIGH_ARCH pool, and which two flags can
hold the same bit at once.

Behind `patchcheck flags --map`: what a reviewer looks at before choosing a bit. A flag holds a bit on an
architecture when some configuration of that architecture makes its definition that bit (by the tree's
Kconfig); a collision is two flags that can be the same bit in one configuration, except aliases of a slot
(VM_ARCH_1's per-architecture aliases), which PC104 judges.
"""

from __future__ import annotations

from dataclasses import dataclass

from patchcheck.model.flags import FlagDef
from patchcheck.model.load import FlagModel
from patchcheck.source.facts import Answer, ConfigFacts
from patchcheck.source.guards import TRUE, Arch, Formula, Sym, conj, render

WIDTH = 64
ARCH_1 = "VM_ARCH_1"


@dataclass(frozen=True)
class Holder:
    flag: str
    guard: str  # where it is this bit, as written in the model ("always" when unconditional)
    via: str | None  # the slot it is an alias of (VM_ARCH_1, VM_HIGH_ARCH_4), if any
    unresolved: bool  # whether this architecture can reach it depends on something the model cannot read
    formula: Formula


@dataclass(frozen=True)
class Bit:
    bit: int
    holders: tuple[Holder, ...]
    pool: str | None  # the VM_HIGH_ARCH_n slot this bit is on this architecture
    collisions: tuple[tuple[str, str], ...]

    @property
    def free(self) -> bool:
        return not self.holders


@dataclass(frozen=True)
class ArchMap:
    arch: str
    bits: tuple[Bit, ...]

    @property
    def collisions(self) -> int:
        return sum(len(b.collisions) for b in self.bits)


def _aliases(a: Holder, b: Holder) -> bool:
    """Two names of one slot: VM_ARCH_1 and its aliases, or a flag defined as another."""
    if a.via == b.flag or b.via == a.flag:
        return True
    return ARCH_1 in (a.via, a.flag) and ARCH_1 in (b.via, b.flag)


def build_map(model: FlagModel, facts: ConfigFacts) -> list[ArchMap]:
    arches = facts.arches if facts.has_kconfig else ()
    flags = [f for f in model.flags.values() if f.kind in ("flag", "slot")]
    return [_arch_map(arch, Arch(arch) if arch else TRUE, flags, facts) for arch in (arches or ("",))]


def _arch_map(arch: str, where: Formula, flags: list[FlagDef], facts: ConfigFacts) -> ArchMap:
    # vm_flags is an unsigned long: 32 bits on an architecture that no configuration makes 64-bit.
    width = 32 if arch and facts.satisfiable(conj(Sym("64BIT"), where)) is Answer.NO else WIDTH
    holders: dict[int, list[Holder]] = {}
    pool: dict[int, str] = {}
    for flag in flags:
        for variant in flag.variants:
            bit = variant.value.bit
            if variant.value.kind != "bit" or bit is None or not 0 <= bit < width:
                continue
            answer = facts.satisfiable(conj(variant.guard, where))
            if answer is Answer.NO:
                continue
            if flag.kind == "slot":
                pool.setdefault(bit, flag.name)
                continue
            guard = "always" if variant.guard == TRUE else render(variant.guard)
            via = variant.value.via[0] if variant.value.via else None
            holders.setdefault(bit, []).append(
                Holder(flag.name, guard, via, answer is Answer.UNRESOLVED, variant.guard)
            )
    bits = []
    for bit in range(width):
        here = holders.get(bit, [])
        clashes = []
        for i, a in enumerate(here):
            for b in here[i + 1 :]:
                if a.flag == b.flag or _aliases(a, b):
                    continue
                if facts.satisfiable(conj(a.formula, b.formula, where)) is Answer.YES:
                    clashes.append((a.flag, b.flag))
        bits.append(Bit(bit, tuple(here), pool.get(bit), tuple(clashes)))
    return ArchMap(arch or "(no architecture)", tuple(bits))


def as_json(maps: list[ArchMap]) -> list[dict[str, object]]:
    return [
        {
            "arch": m.arch,
            "bits": [
                {
                    "bit": b.bit,
                    "free": b.free,
                    "pool": b.pool,
                    "holders": [
                        {"flag": h.flag, "guard": h.guard, "via": h.via, "unresolved": h.unresolved}
                        for h in b.holders
                    ],
                    "collisions": [list(pair) for pair in b.collisions],
                }
                for b in m.bits
            ],
        }
        for m in maps
    ]
