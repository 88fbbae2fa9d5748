"""A SAT session saved to the cache and read back: the same answers, and a damaged state is refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from patchcheck.source.guards import Arch, Cmp, Opaque, Sym, conj, disj, neg
from patchcheck.source.sat import PackedState, SatSession, SatState, atom_from_key, atom_key


def session() -> SatSession:
    sat = SatSession()
    sat.assert_formula(disj(neg(Sym("A")), Sym("B")))  # A -> B
    sat.assert_formula(disj(Arch("x86"), Arch("arm64")))
    sat.assert_formula(disj(neg(Cmp("BITS", ">", 3)), Opaque("VM_X != 0")))
    return sat


@pytest.mark.parametrize(
    "atom", [Sym("MMU"), Arch("x86"), Opaque("VM_PKEY_BIT4"), Cmp("ARCH_PKEY_BITS", ">", 3)]
)
def test_every_kind_of_atom_reads_back_from_its_key(atom: object) -> None:
    assert atom_from_key(atom_key(atom)) == atom  # type: ignore[arg-type]


def test_a_packed_state_answers_as_the_session_did() -> None:
    sat = session()
    restored = SatState.unpacked(sat.state(memo=False).packed())
    assert restored is not None
    again = SatSession(restored)
    assert again.solve([again.literal(conj(Sym("A"), neg(Sym("B"))))]) is None
    assert again.solve([again.literal(conj(Sym("A"), Cmp("BITS", ">", 3)))]) is not None


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: (p[0], p[1], p[2], f"[[{p[0] + 1}]]"),  # a variable past the top
        lambda p: (p[0], p[1], p[2], "[[]]"),  # an empty clause
        lambda p: (p[0], p[1], p[2][:-1], p[3]),  # atoms and variables out of step
        lambda p: (p[0], ["?x", *p[1][1:]], p[2], p[3]),  # an atom of no kind
        lambda p: (p[0], p[1], p[2], '[["1"]]'),  # not a number
        lambda p: (p[0], p[1], p[2], p[3][:-1]),  # clauses cut short
        lambda p: (p[0], p[1], p[2], "{}"),  # no list of clauses
        lambda p: (p[0], p[1], p[2], [[1]]),  # clauses not as text
        lambda p: (p[0], p[1], p[2], "[" * 100_000),  # nested past any recursion limit
        lambda p: (0, p[1], p[2], p[3]),  # no variables at all
        lambda p: (p[0], ["C" + "[" * 100_000, *p[1][1:]], p[2], p[3]),  # nested past any recursion limit
    ],
)
def test_a_damaged_state_is_refused(damage: Callable[[PackedState], object]) -> None:
    packed = session().state(memo=False).packed()
    assert SatState.unpacked(damage(packed)) is None
