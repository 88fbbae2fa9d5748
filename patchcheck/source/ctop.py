"""Where a C file's function definitions are, found without parsing the file.

A function definition is a top-level braced block whose head (the text since the previous top-level `;` or
`}`) holds a parameter list. Braces are counted in the blanked text (comments and directives are spaces;
braces in string and character literals do not count), at a small fraction of the cost of a whole-file
parse: the rules then parse only the functions they ask for, each on its own (patchcheck.source.csrc), so
an error tree-sitter recovers from stays in its function. A head that begins with an attribute macro with
arguments (`static __printf(2, 3) int f(...)`) is parsed again with the macro blanked (`without_attributes`).

When the braces do not balance (an `#if` branch that opens a block its `#else` opens again), the blocks
cannot be told apart by counting and `top_level_blocks` returns None: the caller parses the whole file.
Not C the kernel writes, and not found: definitions inside `extern "C" { }`, and K&R definitions (whose
heads hold `;`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# A brace, or a string or character literal (its closing quote may be missing). It begins with the set of
# the bytes a match can begin with, so that the engine skips from candidate to candidate: written as an
# alternation it tried every byte of the file (three times slower on the kernel's files).
_BRACE_OR_LITERAL = re.compile(rb"[{}\"'](?:(?<=\")(?:\\.|[^\"\\\n])*\"?|(?<=')(?:\\.|[^'\\\n])*'?)?")
# A name followed by `(`, found as the whole run of word characters it ends (`_calls` drops the digits
# the run begins with: a C name begins with none). Anchored at a word boundary and never backtracking, the
# search tries each run once; `[A-Za-z_]\w*` tried every byte of a run, and every shorter name in it.
_CALLED = re.compile(rb"\b(\w++)\s*+\(")
_DIGITS = b"0123456789"
_NOT_NEWLINE = re.compile(rb"[^\n]")


@dataclass(frozen=True)
class Block:
    start: int  # first byte of the head
    end: int  # after the closing brace
    row: int  # 0-based line of `start`
    # every identifier of the head that is followed by `(`: the declarator's among them
    names: tuple[str, ...]


def top_level_blocks(masked: bytes) -> list[Block] | None:
    """The top-level braced blocks whose head has a `(`, in order; None when the braces do not balance."""
    blocks: list[Block] = []
    depth = 0
    previous_end = 0  # end of the previous top-level block
    opened = 0
    row = 0
    row_at = 0  # `row` is the line of byte `row_at`
    for match in _BRACE_OR_LITERAL.finditer(masked):
        char = masked[match.start()]
        if char == 0x7B:  # {
            if depth == 0:
                opened = match.start()
            depth += 1
        elif char == 0x7D:  # }
            depth -= 1
            if depth < 0:
                return None
            if depth == 0:
                start = masked.rfind(b";", previous_end, opened) + 1 or previous_end
                head = masked[start:opened]
                names = tuple(
                    n.decode("latin-1") for run in _CALLED.findall(head) if (n := run.lstrip(_DIGITS))
                )
                if names:
                    start += len(head) - len(head.lstrip())
                    row += masked.count(b"\n", row_at, start)
                    row_at = start
                    blocks.append(Block(start, match.end(), row, names))
                previous_end = match.end()
    return blocks if depth == 0 else None


def _calls(text: bytes) -> Iterator[tuple[str, int, int]]:
    """(name, where it starts, after its `(`) for each name followed by `(`, as `[A-Za-z_]\\w*\\s*\\(` finds
    them."""
    for match in _CALLED.finditer(text):
        run = match.group(1)
        name = run.lstrip(_DIGITS)
        if name:
            yield name.decode("latin-1"), match.start() + len(run) - len(name), match.end()


def without_attributes(block: bytes) -> Iterator[tuple[str, bytes]]:
    """(name, the block with every other `name(...)` group of its head blanked), for each such group from
    the last: what tree-sitter can parse when an attribute macro with arguments begins the head
    (`static __printf(2, 3) int f(...)`). Blanking keeps every offset and line."""
    brace = block.find(b"{")
    head = block[:brace] if brace >= 0 else block
    groups: list[tuple[str, int, int]] = []  # name, start, end of each top-level `name(...)`
    for name, start, end in _calls(head):
        if groups and start < groups[-1][2]:
            continue  # inside the group before
        depth, at = 0, end - 1
        while at < len(head):
            depth += (head[at] == 0x28) - (head[at] == 0x29)
            at += 1
            if depth == 0:
                break
        if depth:
            return
        groups.append((name, start, at))
    if len(groups) < 2:
        return
    for kept in reversed(groups):
        blanked = bytearray(block)
        for _, start, end in groups:
            if (start, end) != kept[1:]:
                blanked[start:end] = _NOT_NEWLINE.sub(b" ", head[start:end])
        yield kept[0], bytes(blanked)
