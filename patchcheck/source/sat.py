"""Deciding guard formulas with a SAT solver (python-sat, incremental with assumptions).

Facts are added once as permanent clauses; every query is Tseitin-encoded into fresh definitional clauses
and solved under an assumption, so one solver instance answers many questions cheaply.

The solver works within bounds (docs/hardening.md): at most MAX_CLAUSES clauses per session, at most
CONFLICT_BUDGET conflicts per question and TIME_BUDGET seconds of solving per session. Past a bound a
question raises `SatLimit` (callers answer "unresolved"), and a session that hit the clause bound answers
nothing more: its facts are incomplete. Nothing is left for the solver to abort the process on.
"""

from __future__ import annotations

import atexit
import itertools
import json
import time
import weakref
from dataclasses import dataclass

from patchcheck.source.guards import And, Arch, Atom, Cmp, Const, Formula, Not, Opaque, Or, Sym
from patchcheck.source.minisat import new_solver

MAX_CLAUSES = 1_000_000
CONFLICT_BUDGET = 200_000
TIME_BUDGET = 30.0


class SatLimit(Exception):
    """A bound was reached: the question is not decided."""


@dataclass
class SatState:
    """Everything needed to rebuild a session: saved to disk so warm runs skip encoding the facts."""

    top: int
    atom_var: dict[Atom, int]
    lit: dict[Formula, int]
    clauses: list[list[int]]

    def valid(self) -> bool:
        """Whether every variable is one of the session's: a damaged cache entry must not reach minisat."""
        top = self.top
        if type(top) is not int or not 0 < top < 1 << 30 or len(self.clauses) > MAX_CLAUSES:
            return False
        try:
            literals = [
                *self.atom_var.values(),
                *self.lit.values(),
                *itertools.chain.from_iterable(self.clauses),
            ]
            sizes = set(map(abs, literals))
        except TypeError:
            return False
        types = set(map(type, literals))
        in_range = not sizes or (min(sizes) > 0 and max(sizes) <= top)
        return types <= {int} and in_range and all(map(bool, self.clauses))

    def packed(self) -> PackedState:
        """The state without its formulas' literals (see SatSession.state) in plain lists, atoms as strings,
        the clauses as one JSON text (written and read by the json module's C code, where a list per clause
        costs a call per number): read back with `unpacked` at a fraction of the cost of an object each."""
        atoms = list(self.atom_var)
        clauses = json.dumps(self.clauses, separators=(",", ":"))
        return self.top, [atom_key(a) for a in atoms], [self.atom_var[a] for a in atoms], clauses

    @staticmethod
    def unpacked(packed: object) -> SatState | None:
        """The state `packed` describes, or None when it is not one (a damaged cache entry)."""
        if not (isinstance(packed, tuple) and len(packed) == 4):
            return None
        top, keys, variables, text = packed
        if not (isinstance(keys, list) and isinstance(variables, list) and isinstance(text, str)):
            return None
        try:
            clauses = json.loads(text)
        except (ValueError, RecursionError):
            return None
        if not isinstance(clauses, list) or len(keys) != len(variables):
            return None
        if not all(isinstance(c, list) for c in clauses):
            return None
        try:
            atoms = [atom_from_key(k) for k in keys]
        except (ValueError, TypeError, RecursionError):
            return None
        state = SatState(top, dict(zip(atoms, variables, strict=True)), {}, clauses)
        return state if state.valid() else None


PackedState = tuple[int, list[str], list[int], str]


def atom_key(atom: Atom) -> str:
    """An atom as a string: its kind's letter, then its fields."""
    if isinstance(atom, Sym):
        return "S" + atom.name
    if isinstance(atom, Arch):
        return "A" + atom.name
    if isinstance(atom, Opaque):
        return "O" + atom.text
    return "C" + json.dumps([atom.name, atom.op, atom.value])


def atom_from_key(key: str) -> Atom:
    """The atom `atom_key` wrote (ValueError or TypeError for anything else)."""
    kind, rest = key[:1], key[1:]
    if kind == "S":
        return Sym(rest)
    if kind == "A":
        return Arch(rest)
    if kind == "O":
        return Opaque(rest)
    if kind == "C":
        name, op, value = json.loads(rest)
        if not (isinstance(name, str) and isinstance(op, str) and type(value) is int):
            raise ValueError("not a comparison")
        return Cmp(name, op, value)
    raise ValueError(f"not an atom: {key[:20]!r}")


class SatSession:
    def __init__(self, state: SatState | None = None) -> None:
        self._solver = new_solver()  # the solver's C module is loaded on first use: a warm `flags` needs none
        _LIVE.add(self)
        self.exhausted = False  # the clause bound was reached: the facts are incomplete
        self.spent = 0.0  # seconds of solving so far
        if state is not None:
            self._atom_var, self._lit, self._top = dict(state.atom_var), dict(state.lit), state.top
            self._clauses = list(state.clauses)
            for clause in self._clauses:
                self._solver.add_clause(clause)
            self._true = 1
            return
        self._atom_var = {}
        self._lit = {}
        self._clauses = []
        self._top = 0
        self._true = self._fresh()
        self._add([self._true])

    def state(self, *, memo: bool = True) -> SatState:
        """What rebuilds this session. Without `memo`, the formulas' literals are left out: a restored
        session encodes a formula again with fresh variables (its old definitions stay true and unused),
        and the saved state is a fraction of the size (each formula a nested object to read back)."""
        lit = dict(self._lit) if memo else {}
        return SatState(self._top, dict(self._atom_var), lit, list(self._clauses))

    def _add(self, clause: list[int]) -> None:
        if self.exhausted or len(self._clauses) >= MAX_CLAUSES:
            self.exhausted = True
            raise SatLimit(f"more than {MAX_CLAUSES} clauses")
        self._clauses.append(clause)
        self._solver.add_clause(clause)

    def _fresh(self) -> int:
        self._top += 1
        return self._top

    def atom_var(self, atom: Atom) -> int:
        var = self._atom_var.get(atom)
        if var is None:
            var = self._atom_var[atom] = self._fresh()
        return var

    def literal(self, f: Formula) -> int:
        """A literal equivalent to `f` (Tseitin encoding, memoised)."""
        cached = self._lit.get(f)
        if cached is not None:
            return cached
        lit: int
        if isinstance(f, Const):
            lit = self._true if f.value else -self._true
        elif isinstance(f, Sym | Cmp | Arch | Opaque):
            lit = self.atom_var(f)
        elif isinstance(f, Not):
            lit = -self.literal(f.arg)
        else:
            parts = [self.literal(a) for a in f.args]
            lit = self._fresh()
            if isinstance(f, And):
                for p in parts:
                    self._add([-lit, p])
                self._add([lit, *(-p for p in parts)])
            else:
                assert isinstance(f, Or)
                for p in parts:
                    self._add([lit, -p])
                self._add([-lit, *parts])
        self._lit[f] = lit
        return lit

    def assert_formula(self, f: Formula) -> None:
        """Add `f` as a permanent fact."""
        if isinstance(f, And):
            for arg in f.args:
                self.assert_formula(arg)
        elif isinstance(f, Or):
            self._add([self.literal(a) for a in f.args])
        else:
            self._add([self.literal(f)])

    def _solve(self, assumptions: list[int]) -> bool:
        if self.exhausted:
            raise SatLimit("the session's facts are incomplete")
        if self.spent >= TIME_BUDGET:
            raise SatLimit(f"more than {TIME_BUDGET:g} s of solving")
        start = time.monotonic()
        try:
            self._solver.conf_budget(CONFLICT_BUDGET)
            found = self._solver.solve_limited(assumptions)
        finally:
            self.spent += time.monotonic() - start
        if found is None:
            raise SatLimit(f"more than {CONFLICT_BUDGET} conflicts")
        return bool(found)

    def satisfiable(self, assumptions: list[int]) -> bool:
        """Whether the facts hold together with `assumptions` (no model built: the common question).
        SatLimit when a bound is reached."""
        return self._solve(assumptions)

    def solve(self, assumptions: list[int]) -> dict[Atom, bool] | None:
        """A model of the facts under `assumptions` (restricted to atoms), or None when unsatisfiable.
        SatLimit when a bound is reached."""
        if not self._solve(assumptions):
            return None
        model = self._solver.get_model() or []
        values = {abs(v): v > 0 for v in model}
        return {atom: values.get(var, False) for atom, var in self._atom_var.items()}

    def close(self) -> None:
        self._solver.delete()


# Solvers still alive at exit are deleted while pysat can still do it: left to the garbage collector at
# interpreter shutdown, each prints "Exception ignored in Solver.__del__".
_LIVE: weakref.WeakSet[SatSession] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for session in list(_LIVE):
        session.close()
