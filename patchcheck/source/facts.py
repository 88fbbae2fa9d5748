"""Configuration facts from Kconfig, and questions about guards answered Yes / No / Unresolved.

Facts (all read from the tree's Kconfig files, encoded lazily: only symbols reachable from a question):
- exactly one architecture is built (the arch/NAME directories with a Kconfig);
- a file is read only where some `source` of it is reached (the top-level `source "arch/$(SRCARCH)/Kconfig"`
  ties everything under arch/A/ to architecture A);
- a symbol is set only where one of its definitions is visible (file reached, `if`/menu/`depends on`
  conditions hold) and, for a definition without a prompt, its default is y; or where something selects it;
- a visible prompt-less definition whose default is y sets it; `select` sets its target;
- members of one `choice` exclude each other;
- an int symbol compared with a constant (`CONFIG_ARCH_PKEY_BITS > 3`) takes the default of the definition
  that applies, reads as 0 when unset, and is unknown when the user sets it (a prompt).

Questions about formulas with `Opaque` atoms (VM_* values, arch-header macros) are answered only when the
answer does not depend on them; otherwise "unresolved".
"""

from __future__ import annotations

import atexit
import itertools
from collections.abc import Callable, Iterable
from enum import Enum
from typing import cast

from patchcheck.source import plaindata
from patchcheck.source.cache import DiskCache
from patchcheck.source.guards import (
    FALSE,
    TRUE,
    Arch,
    Atom,
    Cmp,
    Formula,
    Opaque,
    Sym,
    atoms,
    conj,
    disj,
    neg,
    substitute,
)
from patchcheck.source.kconfig import cond_formula
from patchcheck.source.kconfig_db import rows
from patchcheck.source.kconfig_facts import atom_facts
from patchcheck.source.kconfig_tree import (
    KconfigDB,
    cached_kconfig_key,
    load_kconfig,
    load_kconfig_keyed,
)
from patchcheck.source.sat import PackedState, SatLimit, SatSession, SatState, atom_from_key, atom_key
from patchcheck.source.tree import SourceTree

Witness = tuple[dict[str, str | bool], list[str]]  # an example configuration, and the selects behind it
Saved = tuple[PackedState, list[str], dict[str, Witness], bool | None, tuple[str, ...] | None]
_MAX_OPAQUE = 4  # opaque atoms in one question expanded exactly (2**4 copies at most)


# Facts with something new to save (each is also saved by atexit): a forked child, which ends without running
# atexit handlers, saves them with `persist_all`.
_UNSAVED: list[ConfigFacts] = []


def _restored(saved: object) -> tuple[SatState, set[Atom], Saved] | None:
    """The SAT state and encoded atoms of saved facts, or None when they are not such (checked at the top:
    `SatState.unpacked` checks the clauses, cheaper than a deep type check of thousands of them)."""
    if not (
        isinstance(saved, tuple)
        and len(saved) == 5
        and isinstance(saved[1], list)
        and plaindata.fits(saved[2], dict[str, Witness])
        and isinstance(saved[3], bool | None)
        and plaindata.fits(saved[4], tuple[str, ...] | None)
    ):
        return None
    state = SatState.unpacked(saved[0])
    try:
        done = {atom_from_key(k) for k in saved[1]}
    except (ValueError, TypeError, RecursionError):
        return None
    return (state, done, cast(Saved, saved)) if state is not None else None


def persist_all() -> None:
    """Save every facts object that encoded something new (see patchcheck.rules.forked)."""
    for facts in list(_UNSAVED):
        facts.persist()


class Answer(Enum):
    YES = "yes"
    NO = "no"
    UNRESOLVED = "unresolved"

    def __bool__(self) -> bool:  # `if facts.implies(a, b):` means "proven"
        return self is Answer.YES

    def negated(self) -> Answer:
        return {Answer.YES: Answer.NO, Answer.NO: Answer.YES}.get(self, Answer.UNRESOLVED)


class ConfigFacts:
    """Facts about which configurations exist; decides satisfiability, implication, equivalence, overlap."""

    def __init__(
        self,
        db: KconfigDB | Callable[[], KconfigDB],
        cache: DiskCache | None = None,
        key: str | None = None,
        *,
        open_world: bool = False,
    ) -> None:
        """`db` may be a loader, called only when a question needs a fact not in the saved state.

        With a `cache` and the database's `key`, the encoded facts are saved at exit and restored next time.
        `open_world`: `db` is only part of the Kconfig files (what diffs show), so a symbol it does not define
        is a free variable (only what the shown `select`s set is known of it), not an undefined one.
        """
        self.open_world = open_world
        self._db = db if isinstance(db, KconfigDB) else None
        self._loader = db if not isinstance(db, KconfigDB) else None
        self._cache, self._key = cache, key
        self._dirty = False
        self._done: set[Atom] = set()
        # Each atom's facts as encoded here, and those taken over from another tree's facts (`inherit`).
        self._atom_facts: dict[Atom, list[Formula]] = {}
        self._inherited: dict[Atom, list[Formula]] = {}
        # Answers kept with the facts, so that a warm run needs no database for them: each witness (by the
        # formula's repr, with its reasons) and whether the tree has Kconfig files at all.
        self._witnesses: dict[str, Witness] = {}
        self._has_kconfig: bool | None = None
        self._arches: tuple[str, ...] | None = None
        saved = cache.get("facts", key) if cache is not None and key is not None else None
        restored = _restored(saved)
        if restored is not None:
            state, self._done, kept = restored
            self._sat = SatSession(state)
            self._witnesses, self._has_kconfig, self._arches = dict(kept[2]), kept[3], kept[4]
            return
        self._sat = SatSession()
        arch_atoms = [Arch(a) for a in self.db.arches]
        if arch_atoms:
            self._sat.assert_formula(disj(*arch_atoms))
            for i, a in enumerate(arch_atoms):
                for b in arch_atoms[i + 1 :]:
                    self._sat.assert_formula(disj(neg(a), neg(b)))
        self._mark_dirty()

    @classmethod
    def from_tree(
        cls, tree: SourceTree, cache: DiskCache | None = None, *, base: ConfigFacts | None = None
    ) -> ConfigFacts:
        """The facts of `tree`; `base`: the facts of a tree it was patched from, whose encoded facts are
        taken over for every atom whose Kconfig inputs the patches did not change."""
        cache = cache or DiskCache()
        known = cached_kconfig_key(tree, cache)
        if known is not None:
            facts = cls(lambda: load_kconfig(tree, cache, key=known), cache, known)
        else:
            key, db = load_kconfig_keyed(tree, cache)
            facts = cls(db, cache, key)
        if base is not None and base._atom_facts and not facts._done:
            facts.inherit(base)
        return facts

    def inherit(self, base: ConfigFacts) -> None:
        """Reuse `base`'s facts of each atom whose inputs are the same here: a symbol's definitions, its
        selectors and impliers with their definitions, and its choice group; a file's `source` sites."""
        mine, theirs = self.db, base.db
        regrouped = {
            name
            for group in mine.choices.keys() | theirs.choices.keys()
            if mine.choices.get(group) != theirs.choices.get(group)
            for name in (*mine.choices.get(group, ()), *theirs.choices.get(group, ()))
        }

        def same(atom: Atom) -> bool:
            if isinstance(atom, Sym) and atom.name.startswith("@"):
                path = atom.name[1:]
                return mine.sourced_from.get(path) == theirs.sourced_from.get(path)
            if isinstance(atom, Sym | Cmp):
                name = atom.name
                return (
                    name not in regrouped
                    and mine.packed_definitions.get(name) == theirs.packed_definitions.get(name)
                    and selected_alike(name)
                    and selected_alike("?" + name)
                )
            return True

        def selected_alike(target: str) -> bool:
            """The same selectors (or impliers), each defined as before: its facts read their conditions."""
            packed = mine.packed_selectors.get(target)
            if packed != theirs.packed_selectors.get(target):
                return False
            selectors = {row[0] for row in rows(packed, 3)} if packed is not None else set()
            return all(
                mine.packed_definitions.get(by) == theirs.packed_definitions.get(by) for by in selectors
            )

        self._inherited = {atom: facts for atom, facts in base._atom_facts.items() if same(atom)}

    @property
    def db(self) -> KconfigDB:
        if self._db is None:
            assert self._loader is not None
            self._db = self._loader()
        return self._db

    def _mark_dirty(self) -> None:
        if not self._dirty and self._cache is not None and self._key is not None:
            self._dirty = True
            atexit.register(self.persist)
            _UNSAVED.append(self)

    def persist(self) -> None:
        """Save the encoded facts (done automatically at exit when something new was encoded)."""
        if self._sat.exhausted:
            return  # incomplete facts are never saved
        if self._dirty and self._cache is not None and self._key is not None:
            saved: Saved = (
                self._sat.state(memo=False).packed(),
                [atom_key(a) for a in self._done],
                self._witnesses,
                self._has_kconfig,
                self._arches,
            )
            self._cache.put("facts", self._key, saved)
            self._dirty = False
            atexit.unregister(self.persist)
            if self in _UNSAVED:
                _UNSAVED.remove(self)

    def assume(self, fact: Formula) -> None:
        """Add `fact` to what is known (facts about symbols the Kconfig files read here do not show). The
        facts are then no longer the Kconfig files' alone: they are never saved under their key."""
        self._ensure(atoms(fact))
        self._sat.assert_formula(fact)
        self._cache = None

    # -- questions -------------------------------------------------------------------------------------
    def satisfiable(self, f: Formula) -> Answer:
        """YES: some configuration makes `f` true whatever the opaque atoms are; NO: no configuration can,
        whatever they are; UNRESOLVED: it depends on them, or the solver reached a bound (sat.SatLimit)."""
        try:
            return self._satisfiable(f)
        except SatLimit:
            return Answer.UNRESOLVED

    def _satisfiable(self, f: Formula) -> Answer:
        self._ensure(atoms(f))
        if not self._sat.satisfiable([self._sat.literal(f)]):
            return Answer.NO
        opaque = sorted({a for a in atoms(f) if isinstance(a, Opaque)}, key=lambda a: a.text)
        if not opaque:
            return Answer.YES
        if len(opaque) > _MAX_OPAQUE:
            return Answer.UNRESOLVED
        # is there a configuration in which f holds for every value of the opaque atoms?
        every_value = conj(
            *(
                _assign(f, dict(zip(opaque, values, strict=True)))
                for values in itertools.product((False, True), repeat=len(opaque))
            )
        )
        found = self._sat.satisfiable([self._sat.literal(every_value)])
        return Answer.YES if found else Answer.UNRESOLVED

    def implies(self, a: Formula, b: Formula) -> Answer:
        return self.satisfiable(conj(a, neg(b))).negated()

    def equivalent(self, a: Formula, b: Formula) -> Answer:
        forward, backward = self.implies(a, b), self.implies(b, a)
        if Answer.NO in (forward, backward):
            return Answer.NO
        return Answer.YES if forward is backward is Answer.YES else Answer.UNRESOLVED

    def overlap(self, a: Formula, b: Formula) -> Answer:
        """Can both hold in one configuration?"""
        return self.satisfiable(conj(a, b))

    def witness(self, f: Formula, reasons: list[str] | None = None) -> dict[str, str | bool] | None:
        """An example configuration where `f` holds (architecture and the symbols of `f`), for evidence.

        Symbols set there by a conditional `select` are shown with the symbols of the condition, and, given
        `reasons`, each such selection is appended to it ("CONFIG_A=y: selected by B if C"). None when no
        configuration does, or the solver reached a bound."""
        known = self._witnesses.get(repr(f))
        if known is None:
            why: list[str] = []
            shown = self._witness(f, why)
            if shown is None:
                return None  # a bound may not be reached next time: not kept
            known = self._witnesses[repr(f)] = (shown, why)
            self._mark_dirty()
        if reasons is not None:
            reasons.extend(known[1])
        return dict(known[0])

    def _witness(self, f: Formula, reasons: list[str]) -> dict[str, str | bool] | None:
        try:
            self._ensure(atoms(f))
            model = self._sat.solve([self._sat.literal(f)])
        except SatLimit:
            return None
        if model is None:
            return None
        shown: dict[str, str | bool] = {}
        for atom, value in model.items():
            if isinstance(atom, Arch) and value:
                shown["ARCH"] = atom.name
        for atom in atoms(f):
            if isinstance(atom, Sym) and not _internal(atom):
                shown[f"CONFIG_{atom.name}"] = model.get(atom, False)
        for atom in atoms(f):
            if isinstance(atom, Sym) and not _internal(atom) and model.get(atom, False) and self.has_kconfig:
                self._selected_by(atom.name, model, shown, reasons)
        return shown

    def _selected_by(
        self, name: str, model: dict[Atom, bool], shown: dict[str, str | bool], reasons: list[str] | None
    ) -> None:
        """The conditional selects that set `name` in `model`: their symbols join the example."""
        for definition, cond in self.db.selectors_of(name):
            by = Sym(definition.name)
            if not cond or not model.get(by, False):
                continue
            condition = cond_formula(cond)
            if _assign_all(condition, model) != TRUE:
                continue
            shown.setdefault(f"CONFIG_{definition.name}", True)
            for atom in atoms(condition):
                if isinstance(atom, Sym) and not _internal(atom):
                    shown.setdefault(f"CONFIG_{atom.name}", model.get(atom, False))
            if reasons is not None:
                reasons.append(
                    f"CONFIG_{name}=y: selected by {definition.name} if {cond} ({definition.path})"
                )
            return

    @property
    def has_kconfig(self) -> bool:
        """False for a tree without Kconfig files: then nothing is known and every symbol is free."""
        if self._has_kconfig is None:
            self._has_kconfig = self.db.has_definitions()
            self._mark_dirty()
        return self._has_kconfig

    @property
    def arches(self) -> tuple[str, ...]:
        """The architectures the tree has (arch/NAME/Kconfig)."""
        if self._arches is None:
            self._arches = self.db.arches
            self._mark_dirty()
        return self._arches

    def symbol_exists(self, name: str) -> bool:
        return self.db.exists(name)

    # -- facts -----------------------------------------------------------------------------------------
    def _ensure(self, pending: Iterable[Atom]) -> None:
        work = [a for a in pending if a not in self._done]
        while work:
            atom = work.pop()
            if atom in self._done:
                continue
            self._done.add(atom)
            self._mark_dirty()
            for fact in self._facts(atom):
                self._sat.assert_formula(fact)
                work.extend(a for a in atoms(fact) if a not in self._done)

    def _facts(self, atom: Atom) -> list[Formula]:
        facts = self._inherited.get(atom)
        if facts is None:
            facts = self._new_facts(atom)
        self._atom_facts[atom] = facts
        return facts

    def _new_facts(self, atom: Atom) -> list[Formula]:
        if isinstance(atom, Sym | Cmp):  # an architecture or an opaque value has no facts of its own
            return atom_facts(self.db, atom, open_world=self.open_world)
        return []


def _assign(f: Formula, values: dict[Opaque, bool]) -> Formula:
    def mapping(atom: Atom) -> Formula | None:
        if isinstance(atom, Opaque) and atom in values:
            return TRUE if values[atom] else FALSE
        return None

    return substitute(f, mapping)


def _assign_all(f: Formula, model: dict[Atom, bool]) -> Formula:
    """`f` with every atom the model decides replaced by its value."""
    return substitute(f, lambda atom: (TRUE if model[atom] else FALSE) if atom in model else None)


def _internal(atom: Atom) -> bool:
    return isinstance(atom, Sym) and atom.name.startswith("@")
