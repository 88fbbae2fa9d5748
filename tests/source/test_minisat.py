"""MiniSat through python-sat's C module answers as python-sat's own Minisat22 does, and a C module that does
not take pysat.solvers' arguments leaves the solving to pysat.solvers."""

from __future__ import annotations

import itertools
import sys
import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pysat.solvers import Solver as PysatSolver

from patchcheck.source import minisat

_CLAUSES = st.lists(
    st.lists(st.integers(1, 6).flatmap(lambda v: st.sampled_from([v, -v])), min_size=1, max_size=3),
    max_size=14,
)


@settings(max_examples=300, deadline=None)
@given(_CLAUSES, st.lists(st.integers(1, 6).flatmap(lambda v: st.sampled_from([v, -v])), max_size=2))
def test_the_c_module_answers_as_pysats_minisat22(clauses: list[list[int]], assumptions: list[int]) -> None:
    ours, theirs = minisat.new_solver(), PysatSolver(name="minisat22")
    assert type(ours) is not PysatSolver  # the C module of the installed python-sat takes the arguments
    try:
        for clause in clauses:
            ours.add_clause(clause)
            theirs.add_clause(clause)
        found = ours.solve_limited(assumptions)
        assert found == theirs.solve_limited(assumptions=assumptions)
        if found:
            true = set(ours.get_model() or [])
            assert all(any(lit in true for lit in clause) for clause in clauses)
            assert all(lit in true for lit in assumptions)
    finally:
        ours.delete()
        theirs.delete()


def test_a_spent_conflict_budget_is_no_answer() -> None:
    # 7 pigeons, 6 holes: unsatisfiable, and not within one conflict
    solver = minisat.new_solver()
    var = {(p, h): 6 * p + h + 1 for p in range(7) for h in range(6)}
    for p in range(7):
        solver.add_clause([var[p, h] for h in range(6)])
    for h in range(6):
        for a, b in itertools.combinations(range(7), 2):
            solver.add_clause([-var[a, h], -var[b, h]])
    solver.conf_budget(1)
    assert solver.solve_limited([]) is None
    solver.delete()


def test_a_c_module_that_takes_other_arguments_leaves_it_to_pysat(monkeypatch: pytest.MonkeyPatch) -> None:
    other = types.ModuleType("pysolvers")

    def refuse(*args: object) -> object:
        raise TypeError("takes other arguments")

    for name in ("minisat22_new", "minisat22_cbudget", "minisat22_add_cl", "minisat22_del"):
        setattr(other, name, lambda *args: 1)
    other.minisat22_solve_lim = refuse  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pysolvers", other)
    monkeypatch.setattr(minisat, "_NATIVE", None)
    solver = minisat.new_solver()
    assert isinstance(solver, PysatSolver) and minisat._NATIVE is False
    solver.add_clause([1])
    assert solver.solve_limited([-1]) is False
    solver.delete()
