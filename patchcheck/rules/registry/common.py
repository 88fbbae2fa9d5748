"""What the registry checkers share: the flag model and Kconfig facts of the tree (built once per run and
kept in `CheckContext.cache`), the three-valued answers turned into findings, and small Kbuild facts."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from patchcheck.model import FlagDef, FlagModel, load_flag_model
from patchcheck.report.finding import Finding, Location, Severity
from patchcheck.rules.base import CheckContext, RuleDoc
from patchcheck.source.facts import Answer, ConfigFacts
from patchcheck.source.guards import FALSE, TRUE, Formula, Opaque, Sym, atoms, conj, disj, neg, render
from patchcheck.source.tree import read_text

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

    def example(self, f: Formula) -> str:
        """A configuration where `f` holds, for the evidence ("ARCH=powerpc, CONFIG_PPC32=y, ...")."""
        model = self.facts.witness(f)
        if not model:
            return "no example configuration found"
        parts: list[str] = []
        for key, value in model.items():
            if key == "ARCH":
                parts.insert(0, f"ARCH={value}")
            else:
                parts.append(f"{key}={'y' if value else 'n'}")
        return ", ".join(parts)


def registry(ctx: CheckContext) -> Registry:
    cached = ctx.cache.get("registry")
    if isinstance(cached, Registry):
        return cached
    reg = Registry(
        load_flag_model(ctx.tree),
        ConfigFacts.from_tree(ctx.tree),
        bool(ctx.cache.get("diff_only", False)),
    )
    ctx.cache["registry"] = reg
    return reg


def arch1_guard(flag: FlagDef) -> Formula:
    """Where `flag` is an alias of VM_ARCH_1."""
    return disj(*(v.guard for v in flag.variants if v.value.kind == "bit" and v.value.via[:1] == (ARCH_1,)))


def where_zero(flag: FlagDef) -> Formula:
    return flag.guard_where("none", "zero")


def where_undefined(flag: FlagDef) -> Formula:
    return disj(flag.guard_where("undefined"), neg(disj(*(v.guard for v in flag.variants))))


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
