"""Kconfig semantics as formulas: the facts of one atom (a file, a symbol, an int comparison), read from the
database. patchcheck.source.facts asserts them lazily, only for atoms a question reaches.
"""

from __future__ import annotations

from patchcheck.source.guards import FALSE, TRUE, Arch, Cmp, Formula, Sym, conj, disj, iff_f, implies_f, neg
from patchcheck.source.kconfig import Definition, as_formula, cond_formula, parse_expr
from patchcheck.source.kconfig_db import KconfigDB


def file_var(path: str) -> Sym:
    """The variable of "file `path` is read" (internal: its name starts with @)."""
    return Sym(f"@{path}")


def atom_facts(db: KconfigDB, atom: Sym | Cmp, *, open_world: bool = False) -> list[Formula]:
    """What Kconfig says of one atom: a file `@path` is read where a `source` of it is reached; a symbol is
    set only where a definition of it is visible or something selects it (and see `_symbol_facts`); an int
    compared with a constant takes the default that applies."""
    if isinstance(atom, Sym) and atom.name.startswith("@"):
        return [_file_fact(db, atom.name[1:])]
    if isinstance(atom, Sym):
        return _symbol_facts(db, atom.name, open_world)
    if isinstance(atom, Cmp):
        return _cmp_facts(db, atom)
    return []


def _file_fact(db: KconfigDB, path: str) -> Formula:
    sites = db.sourced_from.get(path, [])
    reached = disj(
        *(
            conj(
                file_var(p) if p else TRUE,
                *(cond_formula(c) for c in conds),
                Arch(arch) if arch else TRUE,
            )
            for p, conds, arch in sites
        )
    )
    return iff_f(file_var(path), reached)


def _visible(d: Definition) -> Formula:
    return conj(file_var(d.path), d.depends_formula())


def _symbol_facts(db: KconfigDB, name: str, open_world: bool) -> list[Formula]:
    if not db.has_definitions():  # no Kconfig files: every symbol is free
        return []
    sym = Sym(name)
    defs = db.definitions_of(name)
    selectors = [conj(Sym(s.name), _visible(s), cond_formula(cond)) for s, cond in db.selectors_of(name)]
    facts = [implies_f(sel, sym) for sel in selectors]
    if open_world and not defs:
        return facts
    # `imply`: a weak select. It sets a prompt-less symbol where the symbol is visible; a symbol with a
    # prompt stays the user's choice (the implier only changes its default).
    impliers = [conj(Sym(s.name), _visible(s), cond_formula(cond)) for s, cond in db.impliers_of(name)]
    ways: list[Formula] = []
    for d in defs:
        visible = _visible(d)
        if not d.prompt and d.kind not in ("int", "hex", "string"):
            for implier in impliers:
                ways.append(conj(implier, visible))
                facts.append(implies_f(conj(implier, visible), sym))
        for other in db.choice_members(d):
            facts.append(disj(neg(sym), neg(Sym(other))))
        if d.kind in ("int", "hex", "string"):
            ways.append(visible)
            if not d.prompt and d.defaults:
                facts.append(implies_f(visible, sym))
            continue
        if d.prompt:
            ways.append(visible)
            continue
        value = _bool_default(d)
        ways.append(conj(visible, value))
        facts.append(implies_f(conj(visible, value), sym))
    facts.append(implies_f(sym, disj(*ways, *selectors)))
    return facts


def _cmp_facts(db: KconfigDB, cmp: Cmp) -> list[Formula]:
    sym = Sym(cmp.name)
    facts = [disj(sym, cmp if cmp.holds_for(0) else neg(cmp))]  # unset reads as 0
    for d in db.definitions_of(cmp.name):
        if d.prompt or d.kind not in ("int", "hex"):
            continue
        earlier: list[Formula] = []
        for value_text, cond_text in d.defaults:
            value, cond = parse_expr(value_text), cond_formula(cond_text)
            if isinstance(value, int) and not isinstance(value, bool):
                applies = conj(sym, _visible(d), cond, *(neg(e) for e in earlier))
                facts.append(implies_f(applies, cmp if cmp.holds_for(value) else neg(cmp)))
            earlier.append(cond)
    return facts


def _bool_default(d: Definition) -> Formula:
    """The value a prompt-less bool takes from its `default` lines (first whose condition holds)."""
    result: Formula = FALSE
    for value_text, cond_text in reversed(d.defaults):
        cond = cond_formula(cond_text)
        result = disj(conj(cond, as_formula(parse_expr(value_text))), conj(neg(cond), result))
    return result
