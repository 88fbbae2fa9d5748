"""Facts about the core VM_* flags whose bits never move, for verify without a tree.

These are facts (flag name -> bit number), not kernel code. They were read from include/linux/mm.h of
Linux 6.12 (Debian's linux-source-6.12) and hold unchanged from 6.1 through the enum conversion of 6.19
(which renumbered only the later high bits). tests/model/test_core_facts.py checks them against a real
tree when one is available. Flags whose value depends on the configuration (VM_UFFD_MISSING is 0 without
MMU, VM_SOFTDIRTY without MEM_SOFT_DIRTY) are not in the table.
"""

from __future__ import annotations

import re

from patchcheck.source.guards import TRUE, Sym, conj, implies_f, neg
from patchcheck.source.preproc import MacroDef, PreprocFile

RELEASE = "Linux 6.12 include/linux/mm.h (the same bits from 6.1 to 6.19)"

# Always defined, always this bit, in every configuration.
CORE_BITS: dict[str, int] = {
    "VM_READ": 0,
    "VM_WRITE": 1,
    "VM_EXEC": 2,
    "VM_SHARED": 3,
    "VM_MAYREAD": 4,
    "VM_MAYWRITE": 5,
    "VM_MAYEXEC": 6,
    "VM_MAYSHARE": 7,
    "VM_GROWSDOWN": 8,
    "VM_PFNMAP": 10,
    "VM_UFFD_WP": 12,
    "VM_LOCKED": 13,
    "VM_IO": 14,
    "VM_SEQ_READ": 15,
    "VM_RAND_READ": 16,
    "VM_DONTCOPY": 17,
    "VM_DONTEXPAND": 18,
    "VM_LOCKONFAULT": 19,
    "VM_ACCOUNT": 20,
    "VM_NORESERVE": 21,
    "VM_HUGETLB": 22,
    "VM_SYNC": 23,
    "VM_ARCH_1": 24,
    "VM_WIPEONFORK": 25,
    "VM_DONTDUMP": 26,
    "VM_MIXEDMAP": 28,
    "VM_HUGEPAGE": 29,
    "VM_NOHUGEPAGE": 30,
    "VM_MERGEABLE": 31,
}
VM_NONE = "VM_NONE"  # 0
ARCH_1 = "VM_ARCH_1"
# The pool of high bits architectures share: VM_HIGH_ARCH_n is bit 32 + n (n = 0..5 in 6.12, 6 since 6.13),
# defined (in the hex/BIT() style) only under CONFIG_ARCH_USES_HIGH_VMA_FLAGS.
HIGH_ARCH_FIRST = 32
HIGH_ARCH_COUNT = 7
HIGH_ARCH_GUARD = "ARCH_USES_HIGH_VMA_FLAGS"

# Kconfig facts of every release from 6.1 to 6.19, for verify without a tree (read from the arch Kconfig
# files of 6.1 and 6.12): only features of 64-bit architectures select the pool (arm64 MTE/GCS, x86_64
# pkeys and shadow stack, powerpc64 memory keys); these architecture symbols imply or exclude 64BIT; and
# configurations exist that are 32-bit, 64-bit without the pool (riscv, s390) and 64-bit with it. Any other
# Kconfig symbol is unknown without the tree.
_64BIT_ONLY = ("X86_64", "ARM64", "PPC64", "SPARC64", "S390", "ALPHA", HIGH_ARCH_GUARD)
_32BIT_ONLY = ("X86_32", "PPC32")
KNOWN_SYMBOLS = ("64BIT", *_64BIT_ONLY, *_32BIT_ONLY)
KNOWN_FACT = conj(
    *(implies_f(Sym(name), Sym("64BIT")) for name in _64BIT_ONLY),
    *(implies_f(Sym(name), neg(Sym("64BIT"))) for name in _32BIT_ONLY),
)
KNOWN_CONFIGS = (
    conj(neg(Sym("64BIT")), neg(Sym(HIGH_ARCH_GUARD))),
    conj(Sym("64BIT"), neg(Sym(HIGH_ARCH_GUARD))),
    conj(Sym("64BIT"), Sym(HIGH_ARCH_GUARD)),
)


def high_arch_bits() -> dict[str, int]:
    """VM_HIGH_ARCH_n -> bit, and VM_HIGH_ARCH_BIT_n -> bit."""
    pool = {f"VM_HIGH_ARCH_{n}": HIGH_ARCH_FIRST + n for n in range(HIGH_ARCH_COUNT)}
    pool.update({f"VM_HIGH_ARCH_BIT_{n}": HIGH_ARCH_FIRST + n for n in range(HIGH_ARCH_COUNT)})
    return pool


def fixed_flag_at(bit: int) -> str | None:
    """The core flag that owns `bit` in every configuration (VM_ARCH_1's bit belongs to its aliases)."""
    for name, owned in CORE_BITS.items():
        if owned == bit and name != ARCH_1:
            return name
    return None


def core_macros(pre: PreprocFile | None = None) -> dict[str, list[MacroDef]]:
    """The facts as definitions the flag reader can resolve names through (line 0: not in any file).

    The enum style's notation too: `INIT_VM_FLAG(X)` is bit `VMA_X_BIT`, the core enumerators' values,
    and, from `pre` (a partial mm.h), each `DECLARE_VMA_BIT(X, n)` / `DECLARE_VMA_BIT_ALIAS(X, Y)` line it
    shows as `VMA_X_BIT` under that line's guard (the enum around them may not be shown)."""
    out: dict[str, list[MacroDef]] = {
        name: [MacroDef(name, None, f"BIT({bit})", TRUE, 0, 0)] for name, bit in CORE_BITS.items()
    }
    pool = Sym(HIGH_ARCH_GUARD)
    for name, bit in high_arch_bits().items():
        body = str(bit) if "_BIT_" in name else f"BIT({bit})"
        out[name] = [MacroDef(name, None, body, pool, 0, 0)]
    out["INIT_VM_FLAG"] = [MacroDef("INIT_VM_FLAG", ("name",), "BIT(VMA_ ## name ## _BIT)", TRUE, 0, 0)]
    for name, bit in CORE_BITS.items():
        out[f"VMA_{name[3:]}_BIT"] = [MacroDef(f"VMA_{name[3:]}_BIT", None, str(bit), TRUE, 0, 0)]
    for n in range(HIGH_ARCH_COUNT):
        out[f"VMA_HIGH_ARCH_{n}_BIT"] = [
            MacroDef(f"VMA_HIGH_ARCH_{n}_BIT", None, str(HIGH_ARCH_FIRST + n), TRUE, 0, 0)
        ]
    if pre is not None:
        for number, line in enumerate(pre.masked.split("\n"), start=1):
            for m in _DECLARE.finditer(line):
                name = f"VMA_{m.group(2)}_BIT"
                body = f"VMA_{m.group(3)}_BIT" if m.group(1) else m.group(3)
                declared = MacroDef(name, None, body, pre.guard_at(number), number, number)
                out[name] = [*(d for d in out.get(name, []) if d.line), declared]
    return out


_DECLARE = re.compile(r"\bDECLARE_VMA_BIT(_ALIAS)?\s*\(\s*(\w+)\s*,\s*(\w+)\s*\)")
