"""The preprocessor view of a C file: the guard of every line, and every #define with its guard.

Nothing is expanded here except conditions: `#if`/`#ifdef`/`#ifndef`/`#elif`/`#else` become guard formulas
(see guards.py). `defined(NAME)` of a non-CONFIG macro is resolved from the #defines seen earlier in the same
file (that is how mm.h's `#ifndef VM_GROWSUP` fallback works); a macro the file never defines stays opaque.
A leading include guard is recognised and costs nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from patchcheck.source.guards import TRUE, Formula, Opaque, conj, disj, neg, within_size
from patchcheck.source.ppexpr import defined_formula, eval_condition

_DIRECTIVE = re.compile(r"^[ \t]*#[ \t]*(\w+)[ \t]*(.*)$")
_HASH = re.compile("#")
_DEFINE = re.compile(r"^([A-Za-z_]\w*)(\([^)]*\))?[ \t]*(.*)$", re.S)


@dataclass(frozen=True)
class MacroDef:
    name: str
    params: tuple[str, ...] | None  # None for an object-like macro
    body: str  # as written, continuation lines joined with "\n" (the backslashes removed)
    guard: Formula
    line: int  # line of the #define
    body_line: int  # line where the body starts


@dataclass(frozen=True)
class Directive:
    kind: str
    text: str
    line: int
    end_line: int


@dataclass
class PreprocFile:
    line_guards: list[Formula]  # index 0 unused; line_guards[n] is the guard of line n
    defines: list[MacroDef]
    directives: list[Directive]
    masked: str  # comments and directives blanked out, offsets and line numbers preserved

    def guard_at(self, line: int) -> Formula:
        return self.line_guards[line] if 0 < line < len(self.line_guards) else TRUE

    def macros(self) -> dict[str, list[MacroDef]]:
        out: dict[str, list[MacroDef]] = {}
        for d in self.defines:
            out.setdefault(d.name, []).append(d)
        return out


# A comment ends at its first `*/` (or the text's end), a literal at its closing quote or its line's end. Each
# is written "unrolled" (runs of ordinary characters, then one special): about twice as fast as `.*?`.
_COMMENT_OR_LITERAL = re.compile(
    r"/\*[^*]*(?:\*+[^*/][^*]*)*(?:\*+/|\**\Z)"
    r"|//[^\n]*"
    r"|\"[^\"\\\n]*(?:\\.[^\"\\\n]*)*\"?"
    r"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'?",
    re.S,
)


def _blank(match: re.Match[str]) -> str:
    found = match.group(0)
    if found[0] != "/":
        return found
    if "\n" not in found:
        return " " * len(found)
    return "\n".join(" " * len(line) for line in found.split("\n"))


def blank_comments(text: str) -> str:
    """Replace comments with spaces (newlines kept), leaving string and char literals alone (a literal ends
    at its closing quote or at the end of its line; a backslash escapes the next character)."""
    return _COMMENT_OR_LITERAL.sub(_blank, text)


_COMMENT_OR_LITERAL_BYTES = re.compile(_COMMENT_OR_LITERAL.pattern.encode("ascii"), re.S)
_SPACES_BUT_NEWLINES = bytes(32 if byte != 10 else 10 for byte in range(256))


def blank_comments_bytes(data: bytes) -> bytes:
    """`blank_comments` of bytes (read as latin-1: one character a byte): each comment is blanked in place
    by a byte table, where the text version calls back for every comment and literal (~20% faster)."""
    blanked: bytearray | None = None
    for match in _COMMENT_OR_LITERAL_BYTES.finditer(data):
        start = match.start()
        if data[start] != 0x2F:  # a literal, kept
            continue
        if blanked is None:
            blanked = bytearray(data)
        end = match.end()
        blanked[start:end] = data[start:end].translate(_SPACES_BUT_NEWLINES)
    return data if blanked is None else bytes(blanked)


def at_line_starts(pattern: re.Pattern[str], text: str) -> Iterator[tuple[int, re.Match[str]]]:
    """(where its line begins, match) for each match of `pattern` with only spaces and tabs before it on its
    line, as a line-anchored `^[ \t]*...` (re.M) finds them; but searched from the match's first character
    (a literal such as `#`, which the expression engine finds fast, where it tries a line-anchored
    expression at every position). A match elsewhere is passed over: the search goes on after its start."""
    match = pattern.search(text)
    while match is not None:
        at = match.start()
        line_start = text.rfind("\n", 0, at) + 1
        if text[line_start:at].strip(" \t"):
            match = pattern.search(text, at + 1)
            continue
        yield line_start, match
        match = pattern.search(text, match.end())


class _Frame:
    def __init__(self, outer: Formula, cond: Formula) -> None:
        self.outer = outer
        self.taken = cond  # disjunction of the conditions of the branches so far
        self.current = conj(outer, cond)


def preprocess(text: str, *, clean: str | None = None) -> PreprocFile:
    """`clean`: `blank_comments(text)` when the caller has it already."""
    clean = blank_comments(text) if clean is None else clean
    lines = clean.split("\n")
    guards: list[Formula] = [TRUE] * (len(lines) + 2)
    masked = list(lines)
    defines: list[MacroDef] = []
    directives: list[Directive] = []
    defined_so_far: dict[str, Formula] = {}
    stack: list[_Frame] = []
    include_guard = _include_guard(lines)
    current: Formula = TRUE
    index = 0  # the first line not read yet
    # Only the lines that begin with `#` are read one by one; the lines between two directives take the
    # guard in force, a slice at a time (most of a file).
    offset = 0  # where line `index` begins
    for line_start, _ in at_line_starts(_HASH, clean):
        if line_start < offset:
            continue  # a line of the directive read last (one its backslashes continued)
        at = index + clean.count("\n", offset, line_start)
        m = _DIRECTIVE.match(lines[at])
        if m is None:
            continue
        previous, start, index = index, at, at
        offset = line_start
        full = lines[index]
        if full.endswith("\\"):  # continued: the logical line, and the directive read again from it
            logical = [full]
            while logical[-1].endswith("\\") and index + 1 < len(lines):
                offset += len(lines[index]) + 1
                index += 1
                logical.append(lines[index])
            full = "\n".join(part[:-1] if part.endswith("\\") else part for part in logical)
            m = _DIRECTIVE.match(full.replace("\n", " ", 1)) or m
        offset += len(lines[index]) + 1
        index += 1
        # the lines up to the directive's last take the guard in force before it
        guards[previous + 1 : index + 1] = [current] * (index - previous)
        for k in range(start, index):
            masked[k] = " " * len(lines[k])
        kind = m.group(1)
        rest = full.split(kind, 1)[1].strip()
        directives.append(Directive(kind, rest, start + 1, index))
        if kind in ("if", "ifdef", "ifndef"):
            if kind == "if":
                cond = eval_condition(rest, defined_so_far)
            else:
                cond = defined_formula(_first_word(rest), defined_so_far)
                if kind == "ifndef":
                    cond = TRUE if start + 1 == include_guard else neg(cond)
            stack.append(_Frame(current, cond))
            current = stack[-1].current
        elif kind in ("elif", "elifdef", "elifndef", "else") and stack:
            frame = stack[-1]
            if kind == "else":
                cond = TRUE
            elif kind == "elif":
                cond = eval_condition(rest, defined_so_far)
            else:
                cond = defined_formula(_first_word(rest), defined_so_far)
                cond = neg(cond) if kind == "elifndef" else cond
            frame.current = conj(frame.outer, neg(frame.taken), cond)
            frame.taken = disj(frame.taken, cond)
            current = frame.current
        elif kind == "endif" and stack:
            current = stack.pop().outer
        elif kind == "define":
            dm = _DEFINE.match(full.split("define", 1)[1].lstrip(" \t"))
            if dm:
                params = None
                if dm.group(2) is not None:
                    params = tuple(p.strip() for p in dm.group(2)[1:-1].split(",") if p.strip())
                body = dm.group(3)
                leading = body[: len(body) - len(body.lstrip())]
                defines.append(
                    MacroDef(
                        dm.group(1), params, body.strip(), current, start + 1, start + 1 + leading.count("\n")
                    )
                )
                name = dm.group(1)
                before = defined_so_far.get(name)  # at its first definition, disj(FALSE, current) is current
                _note_defined(defined_so_far, name, current if before is None else disj(before, current))
        elif kind == "undef":
            name = _first_word(rest)
            if name in defined_so_far:
                _note_defined(defined_so_far, name, conj(defined_so_far[name], neg(current)))
    guards[index + 1 : len(lines) + 1] = [current] * (len(lines) - index)
    return PreprocFile(guards[: len(lines) + 1], defines, directives, "\n".join(masked))


def conditional_naming(text: str, line: int, name: str) -> int | None:
    """The line of the conditional that puts `name` in the guard of `line` (1-based): an `#if`/`#ifdef`/
    `#ifndef` or `#elif` of a chain enclosing the line, innermost first, else one enclosing the `#define` of
    a macro the line uses (a table entry such as `IF_HAVE_X(VM_X, "x")`). None when none names it. Where a
    guard's symbol is wrong, that line is the one to fix."""
    word = re.compile(rf"\b{re.escape(name)}\b")
    lines = blank_comments(text).split("\n")
    found = _enclosing_naming(lines, line, word)
    if found is not None or not 0 < line <= len(lines):
        return found
    used = set(re.findall(r"\b[A-Za-z_]\w*\b", lines[line - 1]))
    for index, raw in enumerate(lines):
        m = _DEFINE_NAME.match(raw)
        if m is not None and m.group(1) in used:
            found = _enclosing_naming(lines, index + 1, word)
            if found is not None:
                return found
    return None


_DEFINE_NAME = re.compile(r"^[ \t]*#[ \t]*define[ \t]+(\w+)")


def _enclosing_naming(lines: list[str], line: int, word: re.Pattern[str]) -> int | None:
    depth = 0  # blocks closed between here and `line`: their conditionals do not enclose it
    for index in range(min(line, len(lines) + 1) - 2, -1, -1):
        m = _DIRECTIVE.match(lines[index])
        if m is None:
            continue
        kind = m.group(1)
        if kind == "endif":
            depth += 1
        elif kind in ("if", "ifdef", "ifndef"):
            if depth:
                depth -= 1
                continue
            if word.search(_logical(lines, index)):
                return index + 1
        elif kind in ("elif", "elifdef", "elifndef") and not depth and word.search(_logical(lines, index)):
            return index + 1
    return None


def _logical(lines: list[str], index: int) -> str:
    """Line `index` with the lines its backslashes continue it into."""
    parts = [lines[index]]
    while parts[-1].endswith("\\") and index + 1 < len(lines):
        index += 1
        parts.append(lines[index])
    return " ".join(parts)


# Where a non-CONFIG macro is defined, as a formula: past this many nodes it is left open. A macro defined
# block after block under a test of itself (`#ifdef NAME` ... `#define NAME`, as arch headers pick a CPU name)
# has a formula that doubles with each block, which every later guard naming it would walk, hashed.
_MAX_DEFINED_NODES = 1024


def _note_defined(defined_so_far: dict[str, Formula], name: str, where: Formula) -> None:
    """Record where `name` is defined; an unknown, `defined(NAME)` as for a macro the file never defines,
    once that is larger than `_MAX_DEFINED_NODES`."""
    defined_so_far[name] = where if within_size(where, _MAX_DEFINED_NODES) else Opaque(f"defined({name})")


def _first_word(text: str) -> str:
    words = text.split(None, 1)
    return words[0] if words else ""


def _include_guard(lines: list[str]) -> int:
    """Line number of an `#ifndef X` / `#define X` include guard opening the file, or 0."""
    found: list[tuple[int, str, str]] = []
    for n, line in enumerate(lines, 1):
        m = _DIRECTIVE.match(line)
        if m:
            found.append((n, m.group(1), m.group(2).strip()))
            if len(found) == 2:
                break
    if len(found) == 2 and found[0][1] == "ifndef" and found[1][1] == "define":
        name = found[0][2].split()[0] if found[0][2] else ""
        if name and found[1][2].split() and found[1][2].split()[0] == name:
            return found[0][0]
    return 0
