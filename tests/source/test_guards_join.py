"""conj/disj simplify as they always have: the join that hashes each item once (guards._join) gives the
formula the plain one below gives, for any parts."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from patchcheck.source.guards import FALSE, TRUE, And, Const, Formula, Not, Or, Sym, conj, disj, neg


def _plain_join(kind: type[And] | type[Or], parts: tuple[Formula, ...]) -> Formula:
    absorbing, neutral = (FALSE, TRUE) if kind is And else (TRUE, FALSE)
    out: list[Formula] = []
    seen: set[Formula] = set()
    negated: set[Formula] = set()
    for part in parts:
        for item in part.args if type(part) is kind else (part,):
            if isinstance(item, Const):
                if item == absorbing:
                    return absorbing
                continue
            if item in seen:
                continue
            if isinstance(item, Not):
                if item.arg in seen:
                    return absorbing
                negated.add(item.arg)
            elif item in negated:
                return absorbing
            seen.add(item)
            out.append(item)
    if not out:
        return neutral
    return out[0] if len(out) == 1 else kind(tuple(out))


_ATOMS = st.sampled_from([Sym("A"), Sym("B"), Sym("C"), TRUE, FALSE])


def _extend(children: st.SearchStrategy[Formula]) -> st.SearchStrategy[Formula]:
    many = st.lists(children, min_size=2, max_size=4).map(tuple)
    return st.one_of(children.map(neg), many.map(And), many.map(Or), children.map(Not))


_FORMULAS = st.recursive(_ATOMS, _extend, max_leaves=12)


_NOT_A = Not(Sym("A"))


@settings(max_examples=600, deadline=None)
@given(st.lists(_FORMULAS, max_size=6).map(tuple))
@example((Not(Not(_NOT_A)), Not(_NOT_A)))  # a negation of a negation is no complement to the plain join
@example((Not(_NOT_A), Not(Not(_NOT_A))))
def test_conj_and_disj_are_the_plain_join(parts: tuple[Formula, ...]) -> None:
    assert conj(*parts) == _plain_join(And, parts)
    assert disj(*parts) == _plain_join(Or, parts)
