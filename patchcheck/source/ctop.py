"""Where a C file's function definitions are, found without parsing the file.

A function definition is a top-level braced block whose head (the text since the previous top-level `;` or
`}`) holds a parameter list. Braces are counted in the blanked text (comments and directives are spaces;
braces in string and character literals do not count), so this finds the same blocks as tree-sitter does on
the same text, and at a small fraction of the cost of a whole-file parse: the rules then parse only the
functions they ask for, each on its own (patchcheck.source.csrc).

When the braces do not balance (an `#if` branch that opens a block its `#else` opens again), the blocks
cannot be told apart by counting and `top_level_blocks` returns None: the caller parses the whole file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BRACE_OR_LITERAL = re.compile(rb"[{}]|\"(?:\\.|[^\"\\\n])*\"?|'(?:\\.|[^'\\\n])*'?")
_CALLED = re.compile(rb"([A-Za-z_]\w*)\s*\(")


@dataclass(frozen=True)
class Block:
    start: int  # first byte of the head
    end: int  # after the closing brace
    row: int  # 0-based line of `start`
    names: tuple[
        str, ...
    ]  # every identifier of the head that is followed by `(`: the declarator's among them


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
                names = tuple(name.decode("latin-1") for name in _CALLED.findall(head))
                if names:
                    start += len(head) - len(head.lstrip())
                    row += masked.count(b"\n", row_at, start)
                    row_at = start
                    blocks.append(Block(start, match.end(), row, names))
                previous_end = match.end()
    return blocks if depth == 0 else None
