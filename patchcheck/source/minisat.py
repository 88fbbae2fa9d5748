"""MiniSat 2.2 from python-sat, driven through python-sat's C module as its own Minisat22 class drives it.

Importing pysat.solvers (8,000 lines, and the modules it imports: tempfile, decimal, gzip, ...) costs more
than most runs' questions, on the critical path of every run that asks one. The few calls patchcheck makes
go straight to `pysolvers`, with the arguments pysat.solvers passes; a python-sat whose C module does not
take them (checked once, on a one-clause formula) is driven through pysat.solvers instead.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Protocol


class Solver(Protocol):
    def add_clause(self, clause: list[int]) -> Any: ...
    def conf_budget(self, budget: int) -> None: ...
    def solve_limited(self, assumptions: list[int]) -> bool | None: ...
    def get_model(self) -> list[int] | None: ...
    def delete(self) -> None: ...


class _Native:
    """One MiniSat 2.2 instance of python-sat's C module."""

    def __init__(self, c: Any) -> None:
        self._c = c
        self._handle: Any = c.minisat22_new()

    def add_clause(self, clause: list[int]) -> Any:
        return self._c.minisat22_add_cl(self._handle, clause)

    def conf_budget(self, budget: int) -> None:
        self._c.minisat22_cbudget(self._handle, budget)

    def solve_limited(self, assumptions: list[int]) -> bool | None:
        """True, False, or None when the budget ran out (MiniSat's answer "undecided")."""
        main = threading.current_thread() is threading.main_thread()  # only there may it take SIGINT
        found: bool | None = self._c.minisat22_solve_lim(self._handle, assumptions, int(main), 0)
        return found

    def get_model(self) -> list[int] | None:
        model: list[int] | None = self._c.minisat22_model(self._handle)
        return model

    def delete(self) -> None:
        if self._handle is not None:
            self._c.minisat22_del(self._handle)
            self._handle = None

    def __del__(self) -> None:  # dropped without delete() (as pysat's Minisat22 does): its memory goes too
        with contextlib.suppress(Exception):  # at interpreter exit, quietly
            self.delete()


_NATIVE: bool | None = None  # whether the C module takes pysat.solvers' arguments (checked once)


def _answers_as_expected(solver: _Native) -> bool:
    """The clause (x1): satisfiable with x1 true, unsatisfiable assuming not x1."""
    try:
        solver.add_clause([1])
        solver.conf_budget(100)
        model = solver.get_model() if solver.solve_limited([]) is True else None
        return model is not None and 1 in model and solver.solve_limited([-1]) is False
    finally:
        solver.delete()


def new_solver() -> Solver:
    global _NATIVE
    if _NATIVE is not False:
        try:
            import pysolvers  # type: ignore[import-not-found]

            if _NATIVE is None:
                _NATIVE = _answers_as_expected(_Native(pysolvers))
            if _NATIVE:
                return _Native(pysolvers)
        except (ImportError, AttributeError, TypeError, ValueError):
            _NATIVE = False
    from pysat.solvers import Solver as PysatSolver

    fallback: Solver = PysatSolver(name="minisat22")
    return fallback
