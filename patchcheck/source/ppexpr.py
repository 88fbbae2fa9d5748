"""The value of an `#if` expression as a guard formula (see guards.py).

`defined(NAME)` of a CONFIG_ macro is its Kconfig symbol; of another macro, where the file has defined it so
far (`defined_so_far`, kept by patchcheck.source.preproc), or left opaque. `IS_ENABLED(CONFIG_X)` and kin are
the symbol, a comparison of a CONFIG_ value with a constant is a `Cmp`, integer arithmetic is done, and
anything else (a function-like macro, an expression of unknowns) stays opaque, as written.
"""

from __future__ import annotations

import re

from patchcheck.source.guards import FALSE, TRUE, Cmp, Formula, Opaque, Sym, conj, disj, neg, render

_PP_TOKEN = re.compile(
    r"\s*(0[xX][0-9a-fA-F]+|\d+|[A-Za-z_]\w*|&&|\|\||==|!=|<=|>=|<<|>>|[-+*/%<>!~&|^()?:,])"
)
_BINARY_PREC = {
    "||": 1,
    "&&": 2,
    "|": 3,
    "^": 4,
    "&": 5,
    "==": 6,
    "!=": 6,
    "<": 7,
    ">": 7,
    "<=": 7,
    ">=": 7,
    "<<": 8,
    ">>": 8,
    "+": 9,
    "-": 9,
    "*": 10,
    "/": 10,
    "%": 10,
}


def defined_formula(name: str, defined_so_far: dict[str, Formula]) -> Formula:
    if name.startswith("CONFIG_"):
        return Sym(name[len("CONFIG_") :])
    if name in defined_so_far:
        return defined_so_far[name]
    return Opaque(f"defined({name})")


class _Unknown:
    def __init__(self, text: str) -> None:
        self.text = text


class _Ident:
    def __init__(self, name: str) -> None:
        self.name = name


_Value = int | Formula | _Unknown | _Ident


def eval_condition(expr: str, defined_so_far: dict[str, Formula] | None = None) -> Formula:
    """The guard formula of an `#if` expression."""
    tokens = [m.group(1) for m in _PP_TOKEN.finditer(expr)]
    parser = _CondParser(tokens, defined_so_far or {}, expr)
    try:
        value = parser.expression(0)
        if parser.pos != len(tokens):
            return Opaque(" ".join(expr.split()))
    except (IndexError, ValueError, ZeroDivisionError, RecursionError):
        return Opaque(" ".join(expr.split()))
    return _truth(value)


def _truth(value: _Value) -> Formula:
    if isinstance(value, bool):
        return TRUE if value else FALSE
    if isinstance(value, int):
        return TRUE if value else FALSE
    if isinstance(value, _Ident):
        if value.name.startswith("CONFIG_"):
            return Sym(value.name[len("CONFIG_") :])
        return Opaque(value.name)
    if isinstance(value, _Unknown):
        return Opaque(value.text)
    return value


class _CondParser:
    def __init__(self, tokens: list[str], defined_so_far: dict[str, Formula], source: str) -> None:
        self.tokens, self.pos, self.defined_so_far, self.source = tokens, 0, defined_so_far, source

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> str:
        tok = self.tokens[self.pos]
        if expected is not None and tok != expected:
            raise ValueError(tok)
        self.pos += 1
        return tok

    def expression(self, min_prec: int) -> _Value:
        left = self.unary()
        while True:
            op = self._peek()
            if op == "?" and min_prec == 0:
                self._take()
                yes = self.expression(0)
                self._take(":")
                no = self.expression(0)
                left = self._ternary(left, yes, no)
                continue
            prec = _BINARY_PREC.get(op or "")
            if prec is None or prec < min_prec:
                return left
            self._take()
            right = self.expression(prec + 1)
            left = self._binary(op or "", left, right)

    def unary(self) -> _Value:
        tok = self._take()
        if tok == "(":
            inner = self.expression(0)
            self._take(")")
            return inner
        if tok == "!":
            return neg(_truth(self.unary()))
        if tok in ("-", "~", "+"):
            operand = self.unary()
            if isinstance(operand, int) and not isinstance(operand, bool):
                return -operand if tok == "-" else (~operand if tok == "~" else operand)
            return _Unknown(f"{tok}{_text(operand)}")
        if tok == "defined":
            paren = self._peek() == "("
            if paren:
                self._take()
            name = self._take()
            if paren:
                self._take(")")
            return defined_formula(name, self.defined_so_far)
        if re.fullmatch(r"0[xX][0-9a-fA-F]+|\d+", tok):
            return int(tok, 0)
        if tok in ("IS_ENABLED", "IS_BUILTIN", "IS_REACHABLE", "IS_MODULE") and self._peek() == "(":
            self._take("(")
            name = self._take()
            self._take(")")
            if tok == "IS_MODULE":
                return Opaque(f"IS_MODULE({name})")
            return Sym(name[len("CONFIG_") :]) if name.startswith("CONFIG_") else Opaque(f"{tok}({name})")
        if re.fullmatch(r"[A-Za-z_]\w*", tok):
            if self._peek() == "(":  # a function-like macro in a condition: unknown to us
                depth = 0
                args = [tok]
                while True:
                    t = self._take()
                    args.append(t)
                    depth += {"(": 1, ")": -1}.get(t, 0)
                    if depth == 0:
                        break
                return _Unknown("".join(args))
            return _Ident(tok)
        raise ValueError(tok)

    def _binary(self, op: str, a: _Value, b: _Value) -> _Value:
        if op == "&&":
            return conj(_truth(a), _truth(b))
        if op == "||":
            return disj(_truth(a), _truth(b))
        ai = a if isinstance(a, int) and not isinstance(a, bool) else None
        bi = b if isinstance(b, int) and not isinstance(b, bool) else None
        if ai is not None and bi is not None:
            return _arith(op, ai, bi)
        if op in ("==", "!=", "<", ">", "<=", ">="):
            if isinstance(a, _Ident) and a.name.startswith("CONFIG_") and bi is not None:
                return Cmp(a.name[len("CONFIG_") :], op, bi)
            if isinstance(b, _Ident) and b.name.startswith("CONFIG_") and ai is not None:
                flipped = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)
                return Cmp(b.name[len("CONFIG_") :], flipped, ai)
        return _Unknown(f"{_text(a)} {op} {_text(b)}")

    def _ternary(self, cond: _Value, yes: _Value, no: _Value) -> _Value:
        c = _truth(cond)
        if c == TRUE:
            return yes
        if c == FALSE:
            return no
        return _Unknown(f"{_text(cond)} ? {_text(yes)} : {_text(no)}")


def _arith(op: str, a: int, b: int) -> int | Formula:
    ops = {
        "|": a | b,
        "^": a ^ b,
        "&": a & b,
        "+": a + b,
        "-": a - b,
        "*": a * b,
        "<<": a << b if 0 <= b < 128 else 0,
        ">>": a >> b if 0 <= b < 128 else 0,
    }
    if op in ops:
        return ops[op]
    if op in ("/", "%"):
        return a // b if op == "/" else a % b
    return TRUE if Cmp("", op, b).holds_for(a) else FALSE


def _text(value: _Value) -> str:
    if isinstance(value, _Ident):
        return value.name
    if isinstance(value, _Unknown):
        return value.text
    if isinstance(value, int):
        return str(value)
    return render(value)
