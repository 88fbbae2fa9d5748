"""PC109: the userland VMA tests' copy of the flag declarations agrees with include/linux/mm.h (field guide
1.16). The mirror is read by the same flag model as mm.h, in either declaration style.

The mirror is a userland build: flags that exist only in some configurations are often VM_NONE or 0 there,
which is fine. What is not: a flag the kernel does not have (any more), a flag on another bit than every
configuration of mm.h gives it, a flag the mirror zeroes although mm.h always has it, and a guard on a
Kconfig symbol that does not exist (silently false, like the CONFIG_STACK_GROWS_UP typo).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from patchcheck.model.flags import FlagDef, read_flags
from patchcheck.report.finding import Finding, Location, Severity
from patchcheck.rules.base import CheckContext, RuleDoc
from patchcheck.rules.registry.common import KCONFIG, MM_H, Registry, finding, registry, registry_reads
from patchcheck.source.cache import digest
from patchcheck.source.facts import Answer
from patchcheck.source.guards import Sym, atoms, neg
from patchcheck.source.ppexpr import eval_condition
from patchcheck.source.preproc import PreprocFile, preprocess
from patchcheck.source.tree import decode_source

VMA_INTERNAL = "tools/testing/vma/vma_internal.h"
# Newer trees move the copied declarations into a header of their own.
MIRRORS = (VMA_INTERNAL, "tools/testing/vma/include/dup.h")

MIRROR = RuleDoc(
    id="PC109",
    name="vma-test-mirror-flags",
    severity=Severity.ERROR,
    summary="The userland VMA tests' copy of the VM_* flags disagrees with include/linux/mm.h",
    what="Reads tools/testing/vma/vma_internal.h (and include/dup.h where it exists) with the same flag "
    "model as mm.h, in either declaration style, and compares: every flag it declares exists in mm.h, a "
    "real bit there is one of the bits mm.h gives the flag, a flag mm.h always has is not zeroed, and "
    "every CONFIG_ symbol its conditions test exists in Kconfig.",
    why="tools/testing/vma compiles mm/vma.c against this copy: a wrong bit or a stale flag makes the "
    "userland tests pass for a kernel that behaves differently, and a typo in a guard silently drops code.",
    example="/* tools/testing/vma/vma_internal.h */\n#define VM_DROPPABLE 0x00000400  /* mm.h: bit 40 */",
    fix="Update the mirror from mm.h (same name, same bit) and test only Kconfig symbols that exist.",
    scope=("R5", "R15"),
    needs=(MM_H, KCONFIG, VMA_INTERNAL),
)


class MirrorChecker:
    rules = (MIRROR,)

    def reads(self, path: str) -> bool:
        return path in MIRRORS or registry_reads(path)

    def run(self, ctx: CheckContext) -> Iterable[Finding]:
        reg = registry(ctx)
        for path in MIRRORS:
            data = ctx.tree.read_bytes(path)
            if data is None:
                continue
            key = ("mirror", digest(data))
            if key not in ctx.memo:
                pre = preprocess(decode_source(data))
                ctx.memo[key] = (pre, read_flags(path, pre))
            pre, flags = ctx.memo[key]
            for flag in flags.values():
                if flag.kind == "flag" and reg.wanted(ctx, flag.name):
                    yield from _compare(reg, path, flag)
            yield from _symbols(reg, path, pre)


def _compare(reg: Registry, path: str, mirror: FlagDef) -> Iterator[Finding]:
    loc = Location(path, mirror.lines[0] if mirror.lines else None)
    kernel = reg.model.flags.get(mirror.name)
    said = f"{path}:{loc.line}: {mirror.name} is " + " or ".join(
        dict.fromkeys(v.value.describe() for v in mirror.variants)
    )
    if kernel is None:
        yield finding(
            MIRROR,
            f"{mirror.name} is defined in the mirror but not in {MM_H}",
            loc,
            mirror.name,
            (said,),
            severity=Severity.WARNING,
        )
        return
    if kernel.kind != "flag":
        return  # an alias or mask in mm.h (VM_STACK): its parts are compared on their own
    where = f"{MM_H}:{kernel.lines[0] if kernel.lines else 0}: {kernel.name} is " + " or ".join(
        dict.fromkeys(v.value.describe() for v in kernel.variants)
    )
    stray = sorted(set(mirror.bits) - set(kernel.bits))
    if stray and kernel.bits:
        yield finding(
            MIRROR,
            f"{mirror.name} is bit {', '.join(map(str, stray))} in the mirror but bit "
            f"{', '.join(map(str, kernel.bits))} in {MM_H}",
            loc,
            mirror.name,
            (said, where),
        )
    elif not mirror.bits and kernel.bits and reg.holds(neg(kernel.real_guard)) is Answer.NO:
        yield finding(
            MIRROR,
            f"{mirror.name} is never a bit in the mirror but always bit "
            f"{', '.join(map(str, kernel.bits))} in {MM_H}",
            loc,
            mirror.name,
            (said, where),
            severity=Severity.WARNING,
        )


def _symbols(reg: Registry, path: str, pre: PreprocFile) -> Iterator[Finding]:
    if not reg.facts.has_kconfig:
        return
    reported: set[str] = set()
    for d in pre.directives:
        if d.kind in ("if", "elif"):
            names = {a.name for a in atoms(eval_condition(d.text)) if isinstance(a, Sym)}
        elif d.kind in ("ifdef", "ifndef", "elifdef", "elifndef") and d.text.split():
            word = d.text.split()[0]
            names = {word[len("CONFIG_") :]} if word.startswith("CONFIG_") else set()
        else:
            continue
        for name in sorted(names - reported):
            if not reg.facts.symbol_exists(name):
                reported.add(name)
                yield finding(
                    MIRROR,
                    f"CONFIG_{name} is not defined in any Kconfig file: the mirror's "
                    "condition is always false",
                    Location(path, d.line),
                    None,
                    (f"{path}:{d.line}: #{d.kind} {d.text}",),
                )
