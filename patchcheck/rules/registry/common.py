"""What the registry checkers share: the flag model and Kconfig facts of the tree (built once per run and
kept in `CheckContext.cache`), the three-valued answers turned into findings, and small Kbuild facts."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from patchcheck.model import FlagDef, FlagModel, Variant, load_flag_model
from patchcheck.model.core import CORE_BITS, KNOWN_FACT
from patchcheck.model.registries import SmapsEntry, TraceEntry
from patchcheck.report.finding import Finding, Location, Severity
from patchcheck.rules.base import CheckContext, RuleDoc
from patchcheck.rules.forked import wait_for_saves
from patchcheck.source.facts import Answer, ConfigFacts
from patchcheck.source.guards import FALSE, TRUE, Formula, Opaque, Sym, atoms, conj, disj, neg, render
from patchcheck.source.kconfig_tree import KconfigDB, kconfig_view
from patchcheck.source.preproc import preprocess
from patchcheck.source.tree import DiffTree, EmptyTree, OverlayTree, SourceTree, read_text
from patchcheck.source.visible import decidable_text

MM_H = "include/linux/mm.h"
TASK_MMU = "fs/proc/task_mmu.c"
MMFLAGS = "include/trace/events/mmflags.h"
PROC_RST = "Documentation/filesystems/proc.rst"
# The root Kconfig: without it the configuration facts are too partial to decide guards.
KCONFIG = "Kconfig"

# Slots, not flags: VM_ARCH_1 is named "ar" / "arch_1" itself, and its per-architecture aliases share it.
ARCH_1 = "VM_ARCH_1"


@dataclass
class Registry:
    """The per-run view every registry checker reads."""

    model: FlagModel
    facts: ConfigFacts
    diff_only: bool  # verify without --tree: only the diffs' text is known
    answers: dict[Formula, Answer] = field(default_factory=dict)
    # Products of single files that depend on this model and these facts (PC101's per-file uses), keyed
    # by what else they read, so a verify run re-reads only the files a patch changed.
    per_file: dict[Any, Any] = field(default_factory=dict)
    # Without a tree: the model of what the hunks decide (guards opened in the hunks, names resolved through
    # the core flag facts), with every Kconfig symbol free. None with a tree.
    decided: Registry | None = None
    # This is such a model: Kconfig symbols the series' Kconfig hunks do not define are free variables.
    free: bool = False
    view: SourceTree | None = None  # the model files as far as the hunks decide them

    def wanted(self, ctx: CheckContext, flag: str) -> bool:
        return ctx.flags is None or flag in ctx.flags

    def holds(self, f: Formula) -> Answer:
        """Can `f` hold in some configuration? (memoised: rules ask the same question more than once)"""
        if f == FALSE:
            return Answer.NO
        answer = self.answers.get(f)
        if answer is None:
            answer = self.answers[f] = self.facts.satisfiable(f)
        return answer

    def example(self, f: Formula, reasons: list[str] | None = None) -> str:
        """A configuration where `f` holds, for the evidence ("ARCH=powerpc, CONFIG_PPC32=y, ..."); the
        conditional selects that make it so are appended to `reasons` when given."""
        model = self.facts.witness(f, reasons)
        if not model:
            return "no example configuration found"
        parts: list[str] = []
        for key, value in model.items():
            if key == "ARCH":
                parts.insert(0, f"ARCH={value}")
            else:
                parts.append(f"{key}={'y' if value else 'n'}")
        return ", ".join(parts)


MODEL_FILES = (MM_H, TASK_MMU, MMFLAGS, PROC_RST)


def registry_reads(path: str) -> bool:
    """The files a registry rule may read: the flag model's, Kconfig (facts) and Kbuild (where a file is
    built)."""
    return path in MODEL_FILES or _is_kconfig(path) or posixpath.basename(path) in ("Makefile", "Kbuild")


def _is_kconfig(path: str) -> bool:
    return posixpath.basename(path).startswith("Kconfig")


def registry(ctx: CheckContext) -> Registry:
    """The registry of `ctx.tree`, shared (through `ctx.memo`) by the states of a verify run whose model
    files and Kconfig files are the same."""
    cached = ctx.cache.get("registry")
    if isinstance(cached, Registry):
        return cached
    diff_only = bool(ctx.cache.get("diff_only", False))
    facts = _config_facts(ctx)
    key = ("registry", facts, diff_only, tuple(ctx.tree.read_bytes(path) for path in MODEL_FILES))
    reg = ctx.memo.get(key)
    if not isinstance(reg, Registry):
        reg = ctx.memo[key] = Registry(load_flag_model(ctx.tree), facts, diff_only)
        if diff_only and isinstance(ctx.tree, DiffTree):
            view = decided_view(ctx.tree)
            model = load_flag_model(view, core=True)
            model.smaps = decided_smaps(read_text(view, TASK_MMU))
            model.trace = decided_trace(read_text(view, MMFLAGS))
            reg.decided = Registry(model, treeless_facts(facts), True, free=True, view=view)
    ctx.cache["registry"] = reg
    return reg


_CORE_LINE = re.compile(
    r"#\s*define\s+(VM_\w+)\b|\[\s*ilog2\s*\(\s*(VM_\w+)\s*\)\s*\]|\{\s*(VM_\w+)\s*,"
    r"|DECLARE_VMA_BIT\s*\(\s*(\w+)\s*,"
)


def _core_anchor(line: str) -> bool:
    """A definition or table entry of a core flag (unconditional in every release), or the `};` closing
    a table (tables are not cut by conditionals)."""
    if line.strip() == "};":
        return True
    m = _CORE_LINE.search(line)
    if m is None:
        return False
    name = next(g for g in m.groups() if g)
    return (name if name.startswith("VM_") else f"VM_{name}") in CORE_BITS


def decided_view(tree: DiffTree) -> SourceTree:
    """The model files as far as their hunks decide the guards of their lines (source/visible.py)."""
    files: dict[str, bytes | None] = {}
    for path in MODEL_FILES:
        text = read_text(tree, path)
        if text is not None and path in tree.shown:
            files[path] = decidable_text(text, tree.shown[path], _core_anchor).encode()
    return OverlayTree(EmptyTree(), files)


_SMAPS_ENTRY = re.compile(r'\[\s*ilog2\s*\(\s*(VM_\w+)\s*\)\s*\]\s*=\s*"([^"]*)"')


def decided_smaps(text: str | None) -> list[SmapsEntry]:
    """The smaps entries of a decided task_mmu.c text, with their guards (hunks do not show the function
    around the table, so the entries are read by their shape)."""
    if text is None:
        return []
    pre = preprocess(text)
    found = []
    for number, line in enumerate(text.split("\n"), start=1):
        m = _SMAPS_ENTRY.search(line)
        if m:
            guard = pre.guard_at(number)
            found.append(SmapsEntry(m.group(1), m.group(2), guard, number, f"ilog2({m.group(1)})", guard))
    return found


# The line shapes of the registry tables: a series that adds or removes such a line edits the table.
TABLE_LINES = {
    TASK_MMU: _SMAPS_ENTRY,
    MMFLAGS: re.compile(r'\{\s*VM_\w+\s*,\s*"|IF_HAVE_\w+\s*\(\s*VM_\w+\s*,\s*"'),
    PROC_RST: re.compile(r"^\s{2,}[a-z0-9]{2}\s{2,}\S"),
}


def edits_table(path: str, before: SourceTree, after: SourceTree) -> bool:
    """Does going from `before` to `after` add or remove a line of the table in `path`?"""
    shape = TABLE_LINES.get(path)
    old, new = read_text(before, path), read_text(after, path)
    if shape is None or old == new or new is None:
        return False
    lines_old = [line for line in (old or "").split("\n") if shape.search(line)]
    lines_new = [line for line in new.split("\n") if shape.search(line)]
    return sorted(lines_old) != sorted(lines_new)


_WRAPPED = re.compile(r'\b(IF_HAVE_\w+)\s*\(\s*(VM_\w+)\s*,\s*"([^"]*)"\s*\)')
_PLAIN = re.compile(r'\{\s*(VM_\w+)\s*,\s*"([^"]*)"\s*\}')


def decided_trace(text: str | None) -> list[TraceEntry]:
    """The trace entries of a decided mmflags.h text: a wrapped entry where the hunks show its wrapper's
    definitions (it is compiled where the wrapper expands to something), a plain one always."""
    if text is None:
        return []
    pre = preprocess(text)
    macros = pre.macros()
    found = []
    for number, line in enumerate(text.split("\n"), start=1):
        for m in _WRAPPED.finditer(line):
            defs = [d for d in macros.get(m.group(1), []) if d.params is not None]
            if defs:
                guard = disj(*(d.guard for d in defs if d.body.strip()))
                found.append(TraceEntry(m.group(2), m.group(3), guard, number, m.group(1), False))
        for m in _PLAIN.finditer(line):
            found.append(TraceEntry(m.group(1), m.group(2), pre.guard_at(number), number, None, False))
    return found


def treeless_facts(shown: ConfigFacts) -> ConfigFacts:
    """What is known of Kconfig without a tree: the Kconfig text the diffs show (`shown`), every symbol it
    does not define free, and the facts every release has (model/core.py)."""
    facts = ConfigFacts(shown.db if shown.has_kconfig else KconfigDB(arches=()), open_world=True)
    facts.assume(KNOWN_FACT)
    return facts


def free_symbols(f: Formula) -> list[str]:
    return sorted(f"CONFIG_{a.name}" for a in atoms(f) if isinstance(a, Sym) and not a.name.startswith("@"))


def introduced_flags(ctx: CheckContext) -> set[str]:
    """Flags the patches read so far define that no context or removed line shows defined before them."""
    from patchcheck.rules.registry.serieslines import defined_names, series_lines

    lines = series_lines(ctx)
    if lines is None:
        return set()
    before = [*lines.removed_in(MM_H), *(c for c in lines.context if c.path == MM_H)]
    return defined_names(lines.added_in(MM_H)) - defined_names(before) - set(CORE_BITS)


def _config_facts(ctx: CheckContext) -> ConfigFacts:
    """One ConfigFacts per set of Kconfig files: a patched tree that changes none shares its base's."""
    view = kconfig_view(ctx.tree)
    if isinstance(view, OverlayTree):
        edits = tuple(sorted((p, d) for p, d in view.changes.items() if _is_kconfig(p)))
        key: tuple[Any, ...] = ("facts", id(view.base), edits)
    else:
        key = ("facts", id(view))
    known = ctx.memo.get(key)
    if isinstance(known, tuple) and isinstance(known[0], ConfigFacts):
        return known[0]
    base = ctx.memo.get(("facts", id(view.base))) if isinstance(view, OverlayTree) else None
    base_facts = base[0] if isinstance(base, tuple) and isinstance(base[0], ConfigFacts) else None
    wait_for_saves()  # facts a child of an earlier run in this process still saves (rules.states)
    facts = ConfigFacts.from_tree(ctx.tree, base=base_facts)
    ctx.memo[key] = (facts, view)  # the view stays alive, so its id is not reused within the run
    return facts


def arch1_guard(flag: FlagDef) -> Formula:
    """Where `flag` is an alias of VM_ARCH_1."""
    return disj(*(v.guard for v in flag.variants if v.value.kind == "bit" and v.value.via[:1] == (ARCH_1,)))


def where_zero(flag: FlagDef) -> Formula:
    return flag.guard_where("none", "zero")


def where_undefined(flag: FlagDef) -> Formula:
    """Where the flag is not defined, or expands to a name that is not: bar the VM_HIGH_ARCH_n gaps PC502
    reports (`pool_gap`), where every use of the flag fails to build for that one reason."""
    gaps = disj(*(v.guard for v in flag.variants if v.value.kind == "undefined" and not on_pool(v)))
    return disj(gaps, neg(disj(*(v.guard for v in flag.variants))))


def pool_gap(flag: FlagDef) -> Formula:
    """Where the flag's #define expands to a VM_HIGH_ARCH_n that is not defined (no
    CONFIG_ARCH_USES_HIGH_VMA_FLAGS): PC502's finding, the one cause of the build errors at its uses there."""
    return disj(*(v.guard for v in flag.variants if v.value.kind == "undefined" and on_pool(v)))


def on_pool(variant: Variant) -> bool:
    """Whether the variant's value goes through an architecture pool slot (VM_HIGH_ARCH_n): the bit it is,
    or the name left undefined."""
    value = variant.value
    name = value.text if value.kind == "undefined" else (value.via[0] if value.via else "")
    return _POOL_NAME.fullmatch(name) is not None


_POOL_NAME = re.compile(r"VM_HIGH_ARCH_\d+")


def opaque_parts(f: Formula) -> list[str]:
    return sorted({a.text for a in atoms(f) if isinstance(a, Opaque)})


def unresolved(
    rule: RuleDoc, flag: str | None, location: Location | None, question: str, formula: Formula
) -> Finding:
    why = ", ".join(opaque_parts(formula)) or "a fact the Kconfig scan cannot decide"
    return Finding(
        rule.id,
        Severity.UNRESOLVED,
        f"cannot decide whether {question}: depends on {why}",
        location,
        flag,
        rule.fix,
        (f"formula: {render(formula)}",),
    )


def finding(
    rule: RuleDoc,
    message: str,
    location: Location | None,
    flag: str | None,
    evidence: Iterable[str] = (),
    hint: str | None = None,
    severity: Severity | None = None,
) -> Finding:
    return Finding(
        rule.id, severity or rule.severity, message, location, flag, hint or rule.fix, tuple(evidence)
    )


def guard_text(f: Formula) -> str:
    return "always" if f == TRUE else render(f)


# --------------------------------------------------------------------------------------------------------
# Kbuild: under which configuration a .c file is compiled at all.

_IFDEF = re.compile(r"^\s*(ifdef|ifndef|ifeq|ifneq|else|endif)\b\s*(.*)$")
_CONFIG_VAR = re.compile(r"\$\(CONFIG_(\w+)\)")


def build_condition(ctx: CheckContext, path: str) -> Formula | None:
    """The condition under which `path` (a .c file) is built, read from its directory's Makefile:
    `obj-$(CONFIG_X) += f.o` lines (also via helper lists such as `mmu-$(CONFIG_MMU)`) and enclosing
    `ifdef CONFIG_Y`. None when the Makefile does not mention the object (we then know nothing)."""
    known: dict[str, Formula | None] = ctx.cache.setdefault("build_conditions", {})
    if path in known:
        return known[path]
    directory, _, name = path.rpartition("/")
    obj = name[:-2] + ".o" if name.endswith(".c") else name
    text = read_text(ctx.tree, f"{directory}/Makefile") or read_text(ctx.tree, f"{directory}/Kbuild")
    result: Formula | None = None
    if text is not None:
        result = _condition_in_makefile(text, obj)
    known[path] = result
    return result


def _condition_in_makefile(text: str, obj: str) -> Formula | None:
    stack: list[Formula] = []
    found: list[Formula] = []
    logical = re.sub(r"\\\n", " ", text).splitlines()
    # `mmu-y := nommu.o` followed by `mmu-$(CONFIG_MMU) := memory.o ...`: the later `:=` replaces the list
    # when CONFIG_MMU is set, so the first line only counts where it is not.
    overrides: dict[str, list[Formula]] = {}
    for line in logical:
        m = re.match(r"^\s*([\w.-]+)-\$\(CONFIG_(\w+)\)\s*:=", line)
        if m:
            overrides.setdefault(m.group(1), []).append(Sym(m.group(2)))
    for line in logical:
        line = line.split("#", 1)[0]
        m = _IFDEF.match(line)
        if m:
            kind, arg = m.group(1), m.group(2).strip()
            if kind in ("ifdef", "ifndef"):
                sym = Sym(arg[len("CONFIG_") :]) if arg.startswith("CONFIG_") else Opaque(f"make:{arg}")
                stack.append(sym if kind == "ifdef" else neg(sym))
            elif kind in ("ifeq", "ifneq"):
                stack.append(Opaque(f"make:{arg}"))
            elif kind == "else" and stack:
                stack[-1] = neg(stack[-1])
            elif kind == "endif" and stack:
                stack.pop()
            continue
        if not re.search(rf"(^|[\s=]){re.escape(obj)}(\s|$)", line):
            continue
        var = line.split("=", 1)[0]
        syms: list[Formula] = [Sym(s) for s in _CONFIG_VAR.findall(var)]
        plain = re.match(r"^\s*([\w.-]+)-y\s*:=", line)
        if plain and plain.group(1) in overrides:
            syms += [neg(sym) for sym in overrides[plain.group(1)]]
        found.append(conj(*stack, *syms))
    if not found:
        return None
    return disj(*found)
