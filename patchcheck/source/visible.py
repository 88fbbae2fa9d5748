"""Which lines of a file seen only through diff hunks have a guard the hunks decide.

Without a tree, a file is known only by the lines its hunks show (each at its line number, the rest
blank). A shown line's preprocessor guard is decided by the hunks only when every conditional around it is
opened in the same run of shown lines, and that run shows where the file's top level is: a line that is
unconditional in every release (`anchor`, e.g. a core flag's definition or table entry), or the `#endif`
of a conditional that began before the run. `decidable_text` keeps exactly such lines (and the directives
that decide them) and blanks the rest, so the text preprocesses to the right guards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

_DIRECTIVE = re.compile(r"^\s*#\s*(if|ifdef|ifndef|elif|elifdef|elifndef|else|endif)\b")


def _runs(shown: Collection[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for number in sorted(shown):
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return runs


def decidable_lines(lines: list[str], shown: Collection[int], anchor: Callable[[str], bool]) -> set[int]:
    """1-based numbers of the shown lines whose guard the shown lines decide (see the module doc)."""
    kept: set[int] = set()
    for run in _runs(shown):
        depth, floor, floor_at = 0, 0, -1  # floor_at: index in run after which depth never goes lower
        depths: list[int] = []
        for index, number in enumerate(run):
            text = lines[number - 1] if number - 1 < len(lines) else ""
            m = _DIRECTIVE.match(text)
            kind = m.group(1) if m else ""
            if kind.startswith("if"):
                depth += 1
            elif kind == "endif":
                depth -= 1
            elif kind and depth - 1 < floor:  # else / elif: their conditional is one level out
                floor, floor_at = depth - 1, index
            if depth < floor:
                floor, floor_at = depth, index
            depths.append(depth)
        closed_before = floor < 0
        anchored = closed_before or any(
            depths[i] == floor and i > floor_at and anchor(lines[n - 1] if n - 1 < len(lines) else "")
            for i, n in enumerate(run)
        )
        if not anchored:
            continue
        # Conditionals still open at the end of the run: their other branches and end are not shown.
        open_from = len(run)
        level = depths[-1] if depths else floor
        for i in range(len(run) - 1, floor_at, -1):
            if depths[i] < level:
                level = depths[i]
            if level == floor:
                break
            open_from = i
        kept.update(run[floor_at + 1 : open_from])
    return kept


def decidable_text(text: str, shown: Collection[int], anchor: Callable[[str], bool]) -> str:
    lines = text.split("\n")
    keep = decidable_lines(lines, shown, anchor)
    return "\n".join(line if n in keep else "" for n, line in enumerate(lines, start=1))
