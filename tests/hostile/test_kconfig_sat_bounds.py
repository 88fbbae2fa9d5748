"""Kconfig macro expansion and the SAT layer work within bounds; past them the answer is `unresolved`,
never a crash, an exhausted machine or an aborted process."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from patchcheck.source import sat
from patchcheck.source.facts import Answer, ConfigFacts
from patchcheck.source.guards import Sym, conj, disj, neg
from patchcheck.source.kconfig_tree import MAX_EXPANSIONS, _expand
from patchcheck.source.tree import DirectoryTree
from tests.hostile.generators import ARCHES, nested_macro_tree
from tests.hostile.harness import EXAMPLE, run


def test_nested_arch_variables_are_not_expanded_past_the_cap() -> None:
    assert _expand("arch/$(SRCARCH)/Kconfig", ARCHES) == [(f"arch/{a}/Kconfig", a) for a in ARCHES]
    assert _expand("/".join(["$(SRCARCH)"] * 7), ARCHES) is None
    assert len(ARCHES) ** 2 > MAX_EXPANSIONS


def test_a_guard_behind_an_unexpanded_source_line_is_not_decided(tmp_path: Path) -> None:
    tree = nested_macro_tree(Path(shutil.copytree(EXAMPLE / "tree", tmp_path / "tree")))
    out = run(tmp_path, "audit", "--tree", str(tree), "--format", "terse", timeout=60)
    (line,) = [ln for ln in out.stdout.splitlines() if "CONFIG_DEEP_DEMO" in ln]
    assert "UNRESOLVED: not decided whether CONFIG_DEEP_DEMO is defined" in line and "[PC501]" in line
    assert "ERROR" not in out.stdout


def _facts(tmp_path: Path) -> ConfigFacts:
    return ConfigFacts.from_tree(DirectoryTree(EXAMPLE / "tree"), cache=None)


def test_the_clause_bound_makes_answers_unresolved(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sat, "MAX_CLAUSES", 40)
    facts = _facts(tmp_path)
    wide = disj(*(conj(Sym(f"A{i}"), neg(Sym(f"B{i}"))) for i in range(50)))
    assert facts.satisfiable(wide) is Answer.UNRESOLVED
    assert facts.implies(Sym("A1"), Sym("A1")) is Answer.UNRESOLVED  # the session's facts are incomplete
    assert facts.witness(Sym("A1")) is None


def test_the_time_bound_makes_answers_unresolved(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    facts = _facts(tmp_path)
    assert facts.satisfiable(Sym("64BIT")) is Answer.YES
    monkeypatch.setattr(sat, "TIME_BUDGET", 0.0)
    assert facts.satisfiable(Sym("64BIT")) is Answer.UNRESOLVED


def test_the_conflict_bound_stops_a_hard_question(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sat, "CONFLICT_BUDGET", 1)
    session = sat.SatSession()
    # A pigeonhole formula (8 pigeons, 7 holes) needs many conflicts to refute.
    pigeons, holes = 8, 7
    at = [[Sym(f"P{p}H{h}") for h in range(holes)] for p in range(pigeons)]
    every = conj(*(disj(*row) for row in at))
    apart = conj(
        *(
            neg(conj(at[p][h], at[q][h]))
            for h in range(holes)
            for p in range(pigeons)
            for q in range(p + 1, pigeons)
        )
    )
    with pytest.raises(sat.SatLimit):
        session.satisfiable([session.literal(conj(every, apart))])
    session.close()
