"""Guards: boolean formulas over configuration atoms.

A guard is the condition under which a piece of source is compiled. Atoms:

- `Sym("64BIT")`: the Kconfig symbol is set (``defined(CONFIG_64BIT)``, ``IS_ENABLED(CONFIG_64BIT)``);
- `Cmp("ARCH_PKEY_BITS", ">", 3)`: an integer Kconfig symbol compared with a constant (unset reads as 0);
- `Arch("x86")`: the architecture being built (exactly one holds; used by Kconfig facts);
- `Opaque(text)`: anything else the preprocessor tests (a VM_* value, a macro from an arch header). The
  reasoning layer treats opaque atoms as unknown, so a question that hinges on one is "unresolved".

Formulas are immutable, hashable and simplified on construction (constants folded, nesting flattened).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

CMP_OPS: dict[str, Callable[[int, int], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


@dataclass(frozen=True, slots=True)
class Const:
    value: bool


@dataclass(frozen=True, slots=True)
class Sym:
    name: str  # without the CONFIG_ prefix


@dataclass(frozen=True, slots=True)
class Cmp:
    name: str
    op: str
    value: int

    def holds_for(self, actual: int) -> bool:
        return CMP_OPS[self.op](actual, self.value)


@dataclass(frozen=True, slots=True)
class Arch:
    name: str  # directory under arch/


@dataclass(frozen=True, slots=True)
class Opaque:
    text: str


@dataclass(frozen=True, slots=True)
class Not:
    arg: Formula


@dataclass(frozen=True, slots=True)
class And:
    args: tuple[Formula, ...]


@dataclass(frozen=True, slots=True)
class Or:
    args: tuple[Formula, ...]


Atom = Sym | Cmp | Arch | Opaque
Formula = Const | Sym | Cmp | Arch | Opaque | Not | And | Or
TRUE = Const(True)
FALSE = Const(False)


def neg(f: Formula) -> Formula:
    if isinstance(f, Const):
        return FALSE if f.value else TRUE
    if isinstance(f, Not):
        return f.arg
    return Not(f)


def _join(kind: type[And] | type[Or], parts: Iterable[Formula]) -> Formula:
    absorbing, neutral = (FALSE, TRUE) if kind is And else (TRUE, FALSE)
    out: list[Formula] = []
    seen: set[Formula] = set()
    negated: set[Formula] = set()  # what the Not items seen negate: `x` meets its complement without Not(x)
    # A formula's hash walks all of it (frozen dataclasses keep none): each item is hashed once into `seen`
    # (a repeat leaves its size alone), and looked up in `negated` only once there is a Not.
    for part in parts:
        items = part.args if type(part) is kind else (part,)
        for item in items:
            if type(item) is Const:
                if item == absorbing:
                    return absorbing
                continue  # the neutral constant
            size = len(seen)
            seen.add(item)
            if len(seen) == size:
                continue
            if type(item) is Not:
                if item.arg in seen:
                    return absorbing
                negated.add(item.arg)
            elif negated and item in negated:
                return absorbing
            out.append(item)
    if not out:
        return neutral
    return out[0] if len(out) == 1 else kind(tuple(out))


def _pair(kind: type[And] | type[Or], a: Formula, b: Formula) -> Formula | None:
    """`_join(kind, (a, b))` for two parts that are neither constants nor of `kind` (most joins: every
    implication is one); None otherwise. Compared, not hashed: a comparison of different kinds of node is
    one type test."""
    if type(a) is kind or type(b) is kind or type(a) is Const or type(b) is Const:
        return None
    if a == b:
        return a
    # complements as _join finds them: `b` negates `a`, or `a` negates a `b` that is no negation itself
    if (b.arg == a) if type(b) is Not else (type(a) is Not and a.arg == b):
        return FALSE if kind is And else TRUE
    return kind((a, b))


def conj(*parts: Formula) -> Formula:
    if len(parts) == 2 and (paired := _pair(And, parts[0], parts[1])) is not None:
        return paired
    return _join(And, parts)


def disj(*parts: Formula) -> Formula:
    if len(parts) == 2 and (paired := _pair(Or, parts[0], parts[1])) is not None:
        return paired
    return _join(Or, parts)


def implies_f(a: Formula, b: Formula) -> Formula:
    return disj(neg(a), b)


def iff_f(a: Formula, b: Formula) -> Formula:
    return conj(implies_f(a, b), implies_f(b, a))


def atoms(f: Formula) -> Iterator[Atom]:
    """The atoms of `f`, left to right (repeats included). A stack, not nested generators: an atom deep in a
    Kconfig fact would pass through one generator per level."""
    stack = [f]
    while stack:
        g = stack.pop()
        if isinstance(g, And | Or):
            stack.extend(reversed(g.args))
        elif isinstance(g, Not):
            stack.append(g.arg)
        elif not isinstance(g, Const):
            yield g


def within_size(f: Formula, nodes: int) -> bool:
    """Whether `f` has at most `nodes` nodes, counted as its hash walks them (a subformula it holds twice
    counts twice); the count stops past the bound, so it costs at most that many steps."""
    stack = [f]
    while stack:
        nodes -= 1
        if nodes < 0:
            return False
        g = stack.pop()
        if isinstance(g, And | Or):
            stack.extend(g.args)
        elif isinstance(g, Not):
            stack.append(g.arg)
    return True


def substitute(f: Formula, mapping: Callable[[Atom], Formula | None]) -> Formula:
    """Replace atoms for which `mapping` returns a formula (e.g. resolve `Opaque("VM_PKEY_BIT3")`)."""
    if isinstance(f, Sym | Cmp | Arch | Opaque):
        replacement = mapping(f)
        return f if replacement is None else replacement
    if isinstance(f, Not):
        return neg(substitute(f.arg, mapping))
    if isinstance(f, And):
        return conj(*(substitute(a, mapping) for a in f.args))
    if isinstance(f, Or):
        return disj(*(substitute(a, mapping) for a in f.args))
    return f


def render(f: Formula) -> str:
    """C-preprocessor-like text, e.g. ``CONFIG_64BIT || CONFIG_PPC32``."""
    return _render(f, 0)


def _render(f: Formula, parent: int) -> str:
    if isinstance(f, Const):
        return "1" if f.value else "0"
    if isinstance(f, Sym):
        return f"CONFIG_{f.name}"
    if isinstance(f, Cmp):
        text = f"CONFIG_{f.name} {f.op} {f.value}"
        return f"({text})" if parent else text
    if isinstance(f, Arch):
        return f"ARCH={f.name}"
    if isinstance(f, Opaque):
        return f.text if f.text.isidentifier() else f"[{f.text}]"
    if isinstance(f, Not):
        return "!" + _render(f.arg, 3)
    level, sep = (2, " && ") if isinstance(f, And) else (1, " || ")
    text = sep.join(_render(a, level) for a in f.args)
    return f"({text})" if parent > level else text


def render_c(f: Formula) -> str:
    """The condition as a C preprocessor expression, e.g. ``defined(CONFIG_64BIT) || defined(CONFIG_PPC32)``
    (an architecture is its CONFIG_ symbol; an opaque atom is written as it was read)."""
    return _render_c(f, 0)


def _render_c(f: Formula, parent: int) -> str:
    if isinstance(f, Const):
        return "1" if f.value else "0"
    if isinstance(f, Sym):
        return f"defined(CONFIG_{f.name})"
    if isinstance(f, Arch):
        return f"defined(CONFIG_{f.name.upper()})"
    if isinstance(f, Cmp | Opaque):
        return _render(f, parent)
    if isinstance(f, Not):
        return "!" + _render_c(f.arg, 3)
    level, sep = (2, " && ") if isinstance(f, And) else (1, " || ")
    text = sep.join(_render_c(a, level) for a in f.args)
    return f"({text})" if parent > level else text


def absorb(f: Formula) -> Formula:
    """`a || (!a && b)` as `a || b`: in a disjunction, a conjunct that negates another disjunct is dropped."""
    if not isinstance(f, Or):
        return f
    parts: list[Formula] = []
    for arg in f.args:
        if isinstance(arg, And):
            others = [o for o in f.args if o is not arg]
            arg = conj(*(c for c in arg.args if not (isinstance(c, Not) and c.arg in others)))
        elif isinstance(arg, Not) and arg.arg in f.args:
            return TRUE
        parts.append(arg)
    return disj(*parts)
