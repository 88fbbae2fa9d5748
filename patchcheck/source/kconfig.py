"""A line scan of Kconfig files: symbols, their types, prompts, defaults, dependencies and selects.

We scan instead of evaluating with kconfiglib: kconfiglib evaluates one configuration of one architecture at
a time (a full parse per SRCARCH, seconds each), while we need the *relations* between symbols across all
architectures. The scan reads `config`, type, `prompt`, `default`/`def_*`, `depends on`, `select`, `if`,
`menu ... depends on`, `choice` and `source` lines, skips help text, and follows `source` from the top-level
Kconfig so every file knows the condition (and the architecture) under which it is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import NamedTuple

from patchcheck.source.guards import FALSE, TRUE, Cmp, Formula, Opaque, Sym, conj, disj, neg

TYPES = ("bool", "tristate", "int", "hex", "string")
_TOKEN = re.compile(
    r'\s*(\$\([^)]*\)|"(?:[^"\\]|\\.)*"|\'[^\']*\'|&&|\|\||!=|<=|>=|[!()=<>]|[A-Za-z0-9_.\-]+)'
)


class Definition(NamedTuple):
    """One `config NAME` block. Conditions are kept as Kconfig text and parsed only when needed."""

    name: str
    path: str
    line: int
    kind: str  # bool, tristate, int, hex, string or unknown
    prompt: bool
    depends: tuple[str, ...]  # `depends on` lines and enclosing `if`/menu conditions of this file
    defaults: tuple[tuple[str, str], ...]  # (value, if-condition or "")
    selects: tuple[tuple[str, str], ...]  # (target, if-condition or ""); an `imply` target is "?NAME"
    choice: int  # index of the enclosing choice block in this file, 0 when none

    def depends_formula(self) -> Formula:
        return conj(*(as_formula(parse_expr(text)) for text in self.depends))


class SourceSite(NamedTuple):
    pattern: str  # as written, e.g. "arch/$(SRCARCH)/Kconfig"
    conds: tuple[str, ...]  # enclosing `if`/menu conditions
    line: int
    relative: bool


class KconfigFile(NamedTuple):
    path: str
    definitions: list[Definition]
    sources: list[SourceSite]


def cond_formula(text: str) -> Formula:
    return as_formula(parse_expr(text)) if text else TRUE


@cache
def parse_expr(text: str) -> Formula | int | None:
    """A Kconfig expression as a formula; a bare number as int; None if it cannot be read."""
    tokens = [m.group(1) for m in _TOKEN.finditer(text)]
    if not tokens:
        return None
    parser = _ExprParser(tokens)
    try:
        value = parser.parse_or()
    except (IndexError, RecursionError):
        return Opaque(text.strip())
    if parser.pos != len(tokens):
        return Opaque(text.strip())
    return value


def as_formula(value: Formula | int | None) -> Formula:
    if value is None:
        return Opaque("?")
    if isinstance(value, int):
        return TRUE if value else FALSE
    return value


class _ExprParser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self) -> str:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def parse_or(self) -> Formula | int | None:
        left = self.parse_and()
        while self._peek() == "||":
            self._take()
            left = disj(as_formula(left), as_formula(self.parse_and()))
        return left

    def parse_and(self) -> Formula | int | None:
        left = self.parse_not()
        while self._peek() == "&&":
            self._take()
            left = conj(as_formula(left), as_formula(self.parse_not()))
        return left

    def parse_not(self) -> Formula | int | None:
        if self._peek() == "!":
            self._take()
            return neg(as_formula(self.parse_not()))
        return self.parse_cmp()

    def parse_cmp(self) -> Formula | int | None:
        if self._peek() == "(":
            self._take()
            inner = self.parse_or()
            if self._take() != ")":
                raise IndexError
            return inner
        left = self._take()
        op = self._peek()
        if op in ("=", "!=", "<", ">", "<=", ">="):
            self._take()
            return _comparison(left, op, self._take())
        return _atom(left)


def _atom(tok: str) -> Formula | int | None:
    if tok == "y":
        return TRUE
    if tok == "n":
        return FALSE
    if re.fullmatch(r"-?\d+|0x[0-9a-fA-F]+", tok):
        return int(tok, 0)
    if re.fullmatch(r"[A-Za-z0-9_]+", tok) and tok != "m":
        return Sym(tok)
    return Opaque(tok)


def _comparison(left: str, op: str, right: str) -> Formula:
    a, b = _atom(left), _atom(right)
    if isinstance(a, Sym) and b in (TRUE, FALSE) and op in ("=", "!="):
        positive = (b == TRUE) == (op == "=")
        return a if positive else neg(a)
    if isinstance(a, Sym) and isinstance(b, int) and not isinstance(b, bool):
        return Cmp(a.name, "==" if op == "=" else op, b)
    return Opaque(f"{left} {op} {right}")


SOURCE_LINE = re.compile(r'^(o?r?source)\s+"([^"]+)"')
# The keywords that end an entry: they open or close a block, or read a file.
BLOCK_WORDS = frozenset(
    (
        "menu",
        "endmenu",
        "choice",
        "endchoice",
        "comment",
        "if",
        "endif",
        "source",
        "osource",
        "rsource",
        "orsource",
        "mainmenu",
    )
)
_TYPE_WORDS = frozenset(TYPES)


def _split_if(rest: str) -> tuple[str, str]:
    """`VALUE if COND` -> (VALUE, COND); the value may be a quoted string containing ' if '."""
    m = _VALUE_IF.match(rest)
    return (m.group(1), m.group(2)) if m else (rest, "")


_VALUE_IF = re.compile(r'^("(?:[^"\\]|\\.)*"|\S.*?)\s+if\s+(.*)$')


_tuple_new = tuple.__new__


class _Entry:
    """A definition being read."""

    def __init__(self, name: str, path: str, line: int, depends: list[str], choice: int) -> None:
        self.name, self.path, self.line, self.choice = name, path, line, choice
        self.kind = "unknown"
        self.prompt = False
        self.depends = depends
        self.defaults: list[tuple[str, str]] = []
        self.selects: list[tuple[str, str]] = []

    def freeze(self) -> Definition:
        # tuple.__new__ itself: the NamedTuple's own __new__ (a lambda of 9 arguments) took twice as long
        return _tuple_new(
            Definition,
            (
                self.name,
                self.path,
                self.line,
                self.kind,
                self.prompt,
                tuple(self.depends),
                tuple(self.defaults),
                tuple(self.selects),
                self.choice,
            ),
        )


def scan_kconfig(path: str, text: str) -> KconfigFile:
    entries: list[_Entry] = []
    sources: list[SourceSite] = []
    stack: list[list[str]] = []  # conditions of each open if/menu/choice block
    flat: list[str] | None = []  # the stack's conditions in one list; None once the stack changed
    current: _Entry | None = None
    menu_pending = False  # a `menu`/`choice` line was just seen; its `depends on` belongs to the block
    choice_count = 0
    choice_stack: list[int] = []
    help_indent = -1  # >= 0 while inside help text: the indentation of its first line (0: not yet seen)
    help_prefix = ""  # exact leading whitespace of the first help line: a fast path for the rest
    lines = text.split("\n")
    in_help = [""]  # `help_prefix`, for `_joined` (a help line is never joined to the next)
    for lineno, raw in enumerate(lines, 1) if "\\" not in text else _joined(lines, in_help):
        if help_prefix and raw.startswith(help_prefix):
            continue
        line = raw.strip()
        if help_indent >= 0:
            if not line:
                continue
            prefix = raw[: len(raw) - len(raw.lstrip())]
            indent = len(prefix.expandtabs(8)) if "\t" in prefix else len(prefix)
            if help_indent == 0:
                help_indent, help_prefix = indent, prefix
                in_help[0] = prefix
            if indent >= help_indent and indent > 0:
                continue
            help_indent, help_prefix = -1, ""
            in_help[0] = ""
        if not line or line[0] == "#":
            continue
        word, _, rest = (line.replace("\t", " ") if "\t" in line else line).partition(" ")
        rest = rest.strip()
        if '"' not in rest and "#" in rest:
            rest = rest.split("#", 1)[0].strip()
        if word in ("help", "---help---"):
            help_indent = 0
            continue
        if word in ("config", "menuconfig"):
            if flat is None:
                flat = [c for block in stack for c in block]
            current = _Entry(rest, path, lineno, list(flat), choice_stack[-1] if choice_stack else 0)
            entries.append(current)
            menu_pending = False
            continue
        if word in BLOCK_WORDS:
            current = None
            menu_pending = False
            flat = None  # the stack may change
            if word == "if":
                stack.append([rest])
            elif word in ("menu", "choice"):
                stack.append([])
                menu_pending = True
                if word == "choice":
                    choice_count += 1
                    choice_stack.append(choice_count)
            elif word in ("endif", "endmenu", "endchoice"):
                if stack:
                    stack.pop()
                if word == "endchoice" and choice_stack:
                    choice_stack.pop()
            elif word.endswith("source"):
                sm = SOURCE_LINE.match(line)
                if sm:
                    conds = tuple(c for block in stack for c in block)
                    relative = sm.group(1).lstrip("o").startswith("r")
                    sources.append(SourceSite(sm.group(2), conds, lineno, relative))
            continue
        if word == "depends" and rest.startswith("on"):
            cond = rest[2:].strip()
            if current is not None:
                current.depends.append(cond)
            elif menu_pending and stack:
                stack[-1].append(cond)
                flat = None
            continue
        if current is not None:
            _entry_line(current, word, rest)
    return KconfigFile(path, [e.freeze() for e in entries], sources)


def _joined(lines: list[str], in_help: list[str]) -> Iterator[tuple[int, str]]:
    """(line number, line) with the lines a backslash continues joined to it; a line of the help text being
    read (`in_help[0]`: its indentation) is never joined."""
    index = 0
    while index < len(lines):
        lineno, raw = index + 1, lines[index]
        index += 1
        if not (in_help[0] and raw.startswith(in_help[0])):
            while raw.endswith("\\") and index < len(lines):
                raw = raw[:-1] + " " + lines[index]
                index += 1
        yield lineno, raw


def _entry_line(entry: _Entry, word: str, rest: str) -> None:
    if word in _TYPE_WORDS:
        entry.kind = word
        entry.prompt = entry.prompt or rest.startswith('"')
    elif word.startswith("def_") and word[4:] in _TYPE_WORDS:
        entry.kind = word[4:]
        entry.defaults.append(_split_if(rest))
    elif word == "prompt":
        entry.prompt = True
    elif word == "default":
        entry.defaults.append(_split_if(rest))
    elif word in ("select", "imply"):
        target, _, cond = rest.partition(" if ")
        # `imply X` is a weak select, kept with the selects as "?X" (see KconfigDB.impliers_of).
        entry.selects.append((("?" if word == "imply" else "") + target.strip(), cond.strip()))
