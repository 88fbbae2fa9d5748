"""Recovering a patch quoted in a review reply (`> ` markers), including web-archive mangling.

Archives drop the leading space of context lines and squeeze runs of whitespace, so a quoted context line
may lose its ' ' marker, and a context line whose text starts with '+' or '-' looks like a change. The hunk
header's line counts settle it: each hunk is read as the interpretation that consumes exactly its counts with
the fewest departures from the literal markers. The result is a normal diff text, marked as reconstructed;
its whitespace is unreliable, so it must be applied ignoring whitespace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from patchcheck.intake.diff import HUNK_HEADER, split_body

State = tuple[int, int]  # (old lines left, new lines left) while reading a hunk
_MAX_READINGS = 64
_QUOTED = re.compile(r"^ ?>")
_HEADER_PREFIXES = (
    "diff --git ",
    "index ",
    "old mode ",
    "new mode ",
    "deleted file mode ",
    "new file mode ",
    "similarity index ",
    "rename from ",
    "rename to ",
    "copy from ",
    "copy to ",
    "--- ",
    "+++ ",
)


@dataclass(frozen=True)
class QuotedPatch:
    """The quoted patch as an unquoted mail body (message, notes, diff) and how much had to be repaired."""

    body: str
    repaired_lines: int
    problems: tuple[str, ...]


def unquote(body: str) -> list[str]:
    """The quoted lines of a reply with one level of '>' removed; unquoted lines (the review) are dropped."""
    lines = []
    for line in body.replace("\r\n", "\n").split("\n"):
        if not _QUOTED.match(line):
            continue
        line = line.lstrip(" ")[1:]
        lines.append(line[1:] if line.startswith(" ") else line)
    return lines


def recover_quoted_patch(body: str) -> QuotedPatch | None:
    """The patch quoted in `body`, or None when the quote holds no diff."""
    quoted = unquote(body)
    start = next((i for i, line in enumerate(quoted) if _starts_diff(quoted, i)), None)
    if start is None:
        return None
    diff_lines, repaired, problems = _rebuild(quoted[start:])
    if not any(line.startswith("@@ ") for line in diff_lines):
        return None
    head = "\n".join(quoted[:start])
    parts = split_body(head + "\ndiff --git a/x b/x\n")  # reuse the message/notes split
    message = parts.message if parts else head
    notes = parts.notes if parts else ""
    text = message + "\n---\n" + notes + "\n\n" + "\n".join(diff_lines) + "\n"
    return QuotedPatch(body=text, repaired_lines=repaired, problems=tuple(problems))


def _starts_diff(lines: list[str], index: int) -> bool:
    line = lines[index]
    return line.startswith("diff --git ") or (
        line.startswith("--- ") and index + 1 < len(lines) and lines[index + 1].startswith("+++ ")
    )


def _rebuild(lines: list[str]) -> tuple[list[str], int, list[str]]:
    out: list[str] = []
    repaired = 0
    problems: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        header = HUNK_HEADER.match(line)
        if header:
            old = int(header.group(2) or "1")
            new = int(header.group(4) or "1")
            found = _classify(lines, index + 1, old, new)
            if found is None:
                where = line.split("@@")[1].strip()
                problems.append(f"quoted hunk {where} cannot be matched to its line counts")
                return out, repaired, problems
            hunk_lines, used = found
            out.append(line)
            out.extend(hunk_lines)
            originals = lines[index + 1 : index + 1 + used]
            repaired += sum(1 for fixed, raw in zip(hunk_lines, originals, strict=True) if fixed != raw)
            index += 1 + used
            while index < len(lines) and lines[index].startswith("\\ "):
                out.append(lines[index])
                index += 1
            continue
        if not line.startswith(_HEADER_PREFIXES):
            break
        out.append(line)
        index += 1
    return out, repaired, problems


def _options(line: str) -> list[tuple[str, str, int]]:
    """(kind, text, cost) readings of one quoted hunk line.

    Reading a '+'/'-' line as context departs from its marker and costs; the cost is higher when whitespace
    follows the marker, as it does on a real change line whose indentation the archive squeezed."""
    if line.startswith(("+", "-")):
        return [(line[0], line[1:], 0), (" ", line, 3 if line[1:2].isspace() else 2)]
    if line.startswith(" "):
        return [(" ", line[1:], 0)]
    return [(" ", line, 0)]


def _classify(lines: list[str], start: int, old: int, new: int) -> tuple[list[str], int] | None:
    """The cheapest reading of lines[start:] that uses exactly `old`/`new` lines: (hunk lines, lines used)."""
    # state (old left, new left) -> (cost, previous state, rendered line); one layer per consumed line
    layers: list[dict[State, tuple[int, State | None, str]]] = [{(old, new): (0, None, "")}]
    best: tuple[int, int] | None = None  # (cost, layer index) of the cheapest complete reading
    for offset in range(min(old + new, len(lines) - start)):
        line = lines[start + offset]
        if line.startswith("\\ "):
            break
        layer: dict[State, tuple[int, State | None, str]] = {}
        for (o, n), (cost, _, _) in layers[-1].items():
            if o == 0 and n == 0:
                continue
            for kind, text, extra in _options(line):
                step = {" ": (1, 1), "-": (1, 0), "+": (0, 1)}[kind]
                after = (o - step[0], n - step[1])
                if after[0] < 0 or after[1] < 0:
                    continue
                total = cost + extra
                if after not in layer or layer[after][0] > total:
                    layer[after] = (total, (o, n), kind + text)
        if not layer:
            break
        if len(layer) > _MAX_READINGS:
            # Hostile or huge quotes: keep the cheapest readings so the work stays linear.
            layer = dict(sorted(layer.items(), key=lambda item: item[1][0])[:_MAX_READINGS])
        layers.append(layer)
        if (0, 0) in layer and (best is None or layer[(0, 0)][0] < best[0]):
            best = (layer[(0, 0)][0], len(layers) - 1)
    if best is None:
        return None
    rendered: list[str] = []
    cursor: State | None = (0, 0)
    for depth in range(best[1], 0, -1):
        assert cursor is not None
        _, cursor, text = layers[depth][cursor]
        rendered.append(text)
    rendered.reverse()
    return rendered, best[1]
