"""Find behavioural promises in commit messages ("doesn't count against the mlock budget")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from patchcheck.rules.packs.spec import ClaimSpec

_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|[a-z0-9]{1,2}[).:])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])")
_TRAILER = re.compile(r"^[A-Z][A-Za-z-]+: .*@|^(?:Signed-off-by|Cc|Link|Fixes|Reviewed-by|Acked-by):", re.I)


@dataclass(frozen=True)
class Claim:
    property: str
    sentence: str
    line: int  # 1-based line of the commit message where the sentence starts
    patch: int


def sentences(message: str) -> list[tuple[str, int]]:
    """Sentences with the message line they start on; list items and paragraphs never run together."""
    units: list[list[tuple[str, int]]] = []
    current: list[tuple[str, int]] = []
    for number, raw in enumerate(message.splitlines(), start=1):
        line = raw.strip()
        if line.startswith(">"):
            line = line.lstrip("> ").strip()
        if not line or line == "---" or _TRAILER.match(line):
            if current:
                units.append(current)
            current = []
            if line == "---":
                break
            continue
        if _LIST_ITEM.match(line) and current:
            units.append(current)
            current = []
        current.append((_LIST_ITEM.sub("", line), number))
    if current:
        units.append(current)

    result: list[tuple[str, int]] = []
    for unit in units:
        joined = ""
        starts: list[tuple[int, int]] = []
        for piece, number in unit:
            starts.append((len(joined), number))
            joined += piece + " "
        offset = 0
        for part in _SENTENCE_END.split(joined.strip()):
            at = joined.find(part, offset)
            offset = at + len(part)
            first = max((n for start, n in starts if start <= at), default=unit[0][1])
            result.append((part.strip(), first))
    return result


def find_claims(message: str, specs: list[ClaimSpec], patch: int) -> list[Claim]:
    found: list[Claim] = []
    for sentence, line in sentences(message):
        for spec in specs:
            if not any(re.search(p, sentence, re.I) for p in spec.phrases):
                continue
            if any(re.search(u, sentence, re.I) for u in spec.unless):
                continue
            found.append(Claim(spec.property, sentence, line, patch))
    return found
