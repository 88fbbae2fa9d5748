"""PC5xx: the Kconfig symbols behind flag guards (field guide R5, R15, R16, and helper symbols)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from patchcheck.model import FlagDef
from patchcheck.report.finding import Finding, Location, Severity
from patchcheck.rules.base import CheckContext, RuleDoc
from patchcheck.rules.registry.common import (
    KCONFIG,
    MM_H,
    MMFLAGS,
    TASK_MMU,
    Registry,
    finding,
    guard_text,
    on_pool,
    registry,
    registry_reads,
    unresolved,
)
from patchcheck.rules.registry.treeless import judged, undecided
from patchcheck.source.facts import Answer
from patchcheck.source.guards import Cmp, Formula, Sym, atoms, conj, neg
from patchcheck.source.kconfig import cond_formula
from patchcheck.source.kconfig_tree import MAX_EXPANSIONS
from patchcheck.source.preproc import conditional_naming
from patchcheck.source.tree import read_text

UNKNOWN_SYMBOL = RuleDoc(
    id="PC501",
    name="guard-symbol-unknown",
    severity=Severity.ERROR,
    summary="A guard of a flag site uses a CONFIG_ symbol no Kconfig file defines",
    what="Collects the CONFIG_ symbols in the guards of flag definitions (mm.h), smaps entries "
    "(task_mmu.c) and trace entries (mmflags.h) and looks each up in the tree's Kconfig files.",
    why="An undefined symbol is silently false: the flag, mnemonic or trace name never exists (e.g. "
    "CONFIG_STACK_GROWS_UP for CONFIG_STACK_GROWSUP).",
    example="#ifdef CONFIG_STACK_GROWS_UP\n#define VM_STACK VM_GROWSUP",
    fix="Use the symbol's real name (grep the Kconfig files), or add the Kconfig entry.",
    scope=("R5", "R15"),
    needs=(MM_H, KCONFIG),
)
HIGH_POOL = RuleDoc(
    id="PC502",
    name="high-arch-pool-unselected",
    severity=Severity.ERROR,
    summary="A flag uses VM_HIGH_ARCH_n where CONFIG_ARCH_USES_HIGH_VMA_FLAGS may be unset",
    what="The VM_HIGH_ARCH_n bits exist only under CONFIG_ARCH_USES_HIGH_VMA_FLAGS. For each flag defined "
    "from the pool, asks whether its guard can hold without that symbol (the option enabling the flag "
    "must `select ARCH_USES_HIGH_VMA_FLAGS`)."
    " Without --tree, decided on the guards the hunks show; a finding that depends on Kconfig symbols "
    "the series does not define is a warning naming them (docs/rules.md).",
    why="Where the pool is undefined the flag is undefined: a build error in exactly the configurations "
    "that enable the feature without the select.",
    example='config ARM64_NEWFEAT\n\tbool "..."   # no select ARCH_USES_HIGH_VMA_FLAGS\n'
    "...\n#ifdef CONFIG_ARM64_NEWFEAT\n#define VM_NEWFEAT VM_HIGH_ARCH_6",
    fix="Add `select ARCH_USES_HIGH_VMA_FLAGS` to the Kconfig option that enables the flag.",
    scope=("R16",),
    needs=(MM_H, KCONFIG),
    diff_only=True,
)
NEVER_SELECTED = RuleDoc(
    id="PC503",
    name="helper-symbol-never-selected",
    severity=Severity.ERROR,
    summary="A helper symbol gating a flag has no prompt, no default and nothing selects it",
    what="For the Kconfig symbols in a flag's guard that only a `select` can set (no prompt, no default "
    "y), checks that some Kconfig entry selects them. Without --tree only the files the series "
    "shows are searched, and the message says so.",
    why="The symbol is always n, so the flag is VM_NONE everywhere: the feature silently never exists.",
    example="config NEED_VM_DROPPABLE\n\tselect ARCH_USES_HIGH_VMA_FLAGS\n\tbool\n"
    "# and no `select NEED_VM_DROPPABLE` anywhere",
    fix="Select the symbol from the architectures (or options) that support the flag.",
    scope=("R16",),
    needs=(MM_H, KCONFIG),
    diff_only=True,
)
SELECTED_ON_32BIT = RuleDoc(
    id="PC504",
    name="helper-symbol-32bit-high-bit",
    severity=Severity.ERROR,
    summary="A helper symbol that enables a high (64-bit only) bit can be set on 32-bit",
    what="For a select-only symbol in the guard of a flag defined as bit 32 or higher: with --tree, asks "
    "whether a selector can set it without CONFIG_64BIT; without --tree, whether the symbol's own "
    "definition restricts it to 64-bit (any architecture may select it later).",
    why="A 32-bit architecture selecting it gets a flag that does not fit in vm_flags (build error in "
    "task_mmu.c, or a silently truncated bit).",
    example="config NEED_VM_DROPPABLE\n\tbool   # no `depends on 64BIT`\n"
    "...\n#ifdef CONFIG_NEED_VM_DROPPABLE\n# define VM_DROPPABLE VM_HIGH_ARCH_6",
    fix="Add `depends on 64BIT` to the symbol, or guard the definition with CONFIG_64BIT.",
    scope=("R3", "R16"),
    needs=(MM_H, KCONFIG),
    diff_only=True,
)


class KconfigChecker:
    rules = (UNKNOWN_SYMBOL, HIGH_POOL, NEVER_SELECTED, SELECTED_ON_32BIT)

    def reads(self, path: str) -> bool:
        return registry_reads(path)

    def undecided(self, ctx: CheckContext) -> list[str]:
        return undecided(ctx, (HIGH_POOL,))

    def run(self, ctx: CheckContext) -> Iterable[Finding]:
        reg = registry(ctx)
        flags = [f for f in reg.model.real_flags() if reg.wanted(ctx, f.name)]
        if not reg.diff_only and reg.facts.has_kconfig:
            yield from self._unknown_symbols(ctx, reg, flags)
            yield from self._high_pool(reg, flags)
        if reg.diff_only and reg.decided is not None:  # PC502 on what the hunks decide
            decided = reg.decided
            yield from self._high_pool(
                decided, [f for f in decided.model.real_flags() if reg.wanted(ctx, f.name)]
            )
        if reg.facts.has_kconfig:
            yield from self._helpers(reg, flags, _absent_patches(ctx) if reg.diff_only else None)

    def _unknown_symbols(self, ctx: CheckContext, reg: Registry, flags: list[FlagDef]) -> Iterator[Finding]:
        sites: list[tuple[str, int, Formula, str | None]] = []
        for definition in flags:
            sites += [(MM_H, v.line, v.guard, definition.name) for v in definition.variants]
        sites += [
            (TASK_MMU, e.line, e.local_guard, e.flag)
            for e in reg.model.smaps or []
            if reg.wanted(ctx, e.flag)
        ]
        sites += [
            (MMFLAGS, e.line, e.guard, e.flag) for e in reg.model.trace or [] if reg.wanted(ctx, e.flag)
        ]
        reported: set[tuple[str, str]] = set()
        texts: dict[str, str] = {}
        for path, site, guard, flag in sites:
            for atom in atoms(guard):
                if not isinstance(atom, Sym | Cmp) or atom.name.startswith("@"):
                    continue
                if reg.facts.symbol_exists(atom.name) or (path, atom.name) in reported:
                    continue
                reported.add((path, atom.name))
                if path not in texts:
                    texts[path] = read_text(ctx.tree, path) or ""
                # The `#if` that names the symbol is the line to fix; the guarded line is evidence.
                line = conditional_naming(texts[path], site, f"CONFIG_{atom.name}") or site
                unread = reg.facts.db.unexpanded
                if unread:  # a Kconfig file that was not read may define it: not decided
                    yield finding(
                        UNKNOWN_SYMBOL,
                        f"not decided whether CONFIG_{atom.name} is defined: {unread[0]} expands to more "
                        f"than {MAX_EXPANSIONS} files, which were not read",
                        Location(path, line),
                        flag,
                        (f"{path}:{site}: guard {guard_text(guard)}", *unread[:3]),
                        severity=Severity.UNRESOLVED,
                    )
                    continue
                yield finding(
                    UNKNOWN_SYMBOL,
                    f"CONFIG_{atom.name} is not defined in any Kconfig file: the guard is always false",
                    Location(path, line),
                    flag,
                    (f"{path}:{site}: guarded by {guard_text(guard)}",),
                )

    def _high_pool(self, reg: Registry, flags: list[FlagDef]) -> Iterator[Finding]:
        for flag in flags:
            for v in flag.variants:
                if v.value.kind != "undefined" or not on_pool(v):
                    continue
                answer = reg.holds(v.guard)
                loc = Location(MM_H, v.line)
                if answer is Answer.YES:
                    found = finding(
                        HIGH_POOL,
                        f"{flag.name} uses {v.value.text}, which is undefined where {guard_text(v.guard)}",
                        loc,
                        flag.name,
                        (
                            f"{MM_H}:{v.line}: {flag.name} = {v.raw}",
                            f"{v.value.text} exists only under CONFIG_ARCH_USES_HIGH_VMA_FLAGS",
                            f"example configuration: {reg.example(v.guard)}",
                        ),
                    )
                    compiled = [d.guard for d in flag.definitions if d.line == v.line]
                    yield judged(reg, found, v.guard, compiled)
                elif answer is Answer.UNRESOLVED:
                    yield unresolved(
                        HIGH_POOL,
                        flag.name,
                        loc,
                        f"{v.value.text} is defined wherever {flag.name} uses it",
                        v.guard,
                    )

    def _helpers(self, reg: Registry, flags: list[FlagDef], absent: str | None) -> Iterator[Finding]:
        """`absent`: without a tree, which patches of the series are missing (a `select` may be there)."""
        db = reg.facts.db
        reported: set[tuple[str, str]] = set()
        for flag in flags:
            for v in flag.variants:
                if v.value.kind != "bit":
                    continue
                for atom in atoms(v.guard):
                    if not isinstance(atom, Sym) or (atom.name, flag.name) in reported:
                        continue
                    defs = db.definitions_of(atom.name)
                    if not defs or any(d.prompt or d.kind not in ("bool", "tristate") for d in defs):
                        continue
                    if any(value.strip() not in ("n", "") for d in defs for value, _ in d.defaults):
                        continue  # a default may set it
                    reported.add((atom.name, flag.name))
                    d = defs[0]
                    loc = Location(d.path, d.line)
                    selectors = db.selectors_of(atom.name) + db.impliers_of(atom.name)
                    scope = " in the files the series shows" if reg.diff_only else ""
                    outcome = f"{flag.name} never exists"
                    if absent:
                        outcome += " unless a missing patch does"
                    if not selectors:
                        yield finding(
                            NEVER_SELECTED,
                            f"CONFIG_{atom.name} gates {flag.name} but nothing{scope} selects it: {outcome}",
                            loc,
                            flag.name,
                            (
                                f"{d.path}:{d.line}: config {atom.name} (no prompt, no default)",
                                f"{MM_H}:{v.line}: {flag.name} = {v.raw} where {guard_text(v.guard)}",
                                *([f"{absent}; a `select` may be in one of them"] if absent else []),
                            ),
                            severity=Severity.WARNING if absent else None,
                        )
                    if (v.value.bit or 0) >= 32:
                        yield from self._on_32bit(reg, flag, v.line, v.raw, atom.name, loc)

    def _on_32bit(
        self, reg: Registry, flag: FlagDef, line: int, raw: str, name: str, loc: Location
    ) -> Iterator[Finding]:
        db = reg.facts.db
        not64 = neg(Sym("64BIT"))
        evidence = [f"{MM_H}:{line}: {flag.name} = {raw} (a bit above 31) under CONFIG_{name}"]
        if reg.diff_only and not db.selectors_of(name):
            # Nothing visible selects it: any architecture may, so only its own definition can restrict it.
            defs = db.definitions_of(name)
            if all(reg.holds(conj(d.depends_formula(), not64)) is not Answer.NO for d in defs):
                evidence += [f"{d.path}:{d.line}: config {name} has no dependency on 64BIT" for d in defs]
                yield finding(
                    SELECTED_ON_32BIT,
                    f"CONFIG_{name} enables the high bit of {flag.name} but is not restricted to 64-bit",
                    loc,
                    flag.name,
                    evidence,
                )
            return
        risky = []
        for selector, cond in db.selectors_of(name) + db.impliers_of(name):
            question = conj(Sym(selector.name), cond_formula(cond), not64)
            if reg.holds(question) is Answer.YES:
                risky.append(
                    f"{selector.path}:{selector.line}: {selector.name} selects it, e.g. "
                    f"{reg.example(question)}"
                )
        if risky:
            yield finding(
                SELECTED_ON_32BIT,
                f"CONFIG_{name} enables the high bit of {flag.name} and can be selected on 32-bit",
                loc,
                flag.name,
                evidence + risky,
            )


def _absent_patches(ctx: CheckContext) -> str | None:
    """ "2 of 5 patches absent" when the series being verified lacks some of its patches."""
    missing = list(getattr(ctx.series, "missing", None) or ())
    if not missing:
        return None
    total = getattr(ctx.series, "expected", None) or len(missing)
    return f"{len(missing)} of {total} patches absent"
