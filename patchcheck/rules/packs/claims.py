"""Find behavioural promises in commit messages ("doesn't count against the mlock budget")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from patchcheck.rules.packs.spec import ClaimSpec

_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|[a-z0-9]{1,2}[).:])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])")
_TRAILER = re.compile(r"^[A-Z][A-Za-z-]+: .*@|^(?:Signed-off-by|Cc|Link|Fixes|Reviewed-by|Acked-by):", re.I)


@dataclass(frozen=True)
class Claim:
    property: str
    sentence: str
    line: int  # 1-based line of the commit message where the sentence starts; 0 for the subject
    patch: int
    via: str | None = None  # "Like VM_X": the property is VM_X's


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


# Words that turn a clause into a negative statement about what follows them.
_NEGATION = re.compile(
    r"\b(?:not|never|no|nothing|none|neither|nor|without|cannot|nobody|nowhere)\b|n't\b", re.I
)
# A negation of one of these verbs is about the patch or the author, not about the flag ("does not change
# how pages are swapped", "we don't need to lock").
_META_VERBS = re.compile(
    r"\b(?:chang|affect|touch|modif|alter|address|fix|handl|cover|test|implement|support|need|try|"
    r"know|care|matter|bother|want|plan|expect|mean|check|see|seem|think|remember|mention)\w*\b|"
    r"\b(?:tries|tried)\b",
    re.I,
)
# Clauses: a promise and its negation live in the same clause ("It doesn't count against the mlock budget,
# since nothing is locked" is two clauses and two readings of one promise).
_CLAUSE = re.compile(
    r"[,;:]|\s[-\u2013\u2014]\s|\b(?:and|but|while|whereas|since|because|so that|although|though)\b", re.I
)
_ASIDE = re.compile(r"\s\(([^()]*)\)")  # " (so that they're zero)" is a clause; "mmap()" is not
_CONDITIONAL = re.compile(r"^\s*(?:if|when|unless|whether|once|until|before|after|in case)\b", re.I)
# A question, or a sentence that hedges, promises nothing.
_HEDGE = re.compile(
    r"\b(?:whether|unclear|not (?:sure|clear|certain)|wonder\w*|perhaps|maybe|TODO|should we|do we|"
    r"is it|are they|question)\b"
    # what a test checks is the test's business, not a promise
    r"|\b(?:self)?tests?\s+(?:checks?|verif\w*|makes? sure|ensures?|confirms?)\b",
    re.I,
)
# "Like VM_X, ..." / "the same as VM_X": the sentence gives its flag VM_X's properties.
_ANALOGY = re.compile(
    r"(?<![A-Za-z])(?:just like|like|same as|similar to|as with|as for|as does|analogous to|mirrors?|"
    r"behaves as)\s+(?:the\s+|an?\s+)?(VM_[A-Z][A-Z0-9_]*)(?!\w)",
    re.I,
)
_SUBJECT_PREFIX = re.compile(r"^(?:[\w./,*-]+:\s+)+")
_WORD = re.compile(r"\S+")


def clauses(sentence: str) -> list[str]:
    return [c.strip() for c in _CLAUSE.split(_ASIDE.sub(r", \1,", sentence)) if c and c.strip()]


def _negated_before(clause: str, start: int) -> bool:
    """Is the text at `start` under a negation of the same clause (at most 8 words before it) that is not
    the negation of a verb about something else?"""
    before = clause[:start]
    negations = list(_NEGATION.finditer(before))
    if not negations:
        return False
    last = negations[-1]
    between = before[last.end() :]
    if len(_WORD.findall(between)) > 8 or _META_VERBS.search(between):
        return False
    # "not only ... but", "no longer" keep their meaning; a double negation ("not never") cancels.
    return len(negations) % 2 == 1 or len(_WORD.findall(before[negations[-2].end() : last.start()])) > 3


def reads_as(spec: ClaimSpec, sentence: str) -> bool:
    """Does `sentence` promise `spec.property`? Literal phrases, or terms read by meaning."""
    if spec.phrases and any(re.search(p, sentence, re.I) for p in spec.phrases):
        return not any(re.search(u, sentence, re.I) for u in spec.unless)
    if not spec.terms or sentence.rstrip().endswith("?") or _HEDGE.search(sentence):
        return False
    if spec.context and not any(re.search(c, sentence, re.I) for c in spec.context):
        return False
    for clause in clauses(sentence):
        if _CONDITIONAL.match(clause) or any(re.search(u, clause, re.I) for u in spec.unless):
            continue
        for term in spec.terms:
            for match in re.finditer(term, clause, re.I):
                if _negated_before(clause, match.start()) == (spec.polarity == "negative"):
                    return True
    return False


def analogies(sentence: str) -> list[str]:
    """The flags a sentence compares its subject to ("Like VM_DROPPABLE, it ...")."""
    return list(dict.fromkeys(m.group(1) for m in _ANALOGY.finditer(sentence)))


def find_claims(
    message: str,
    specs: list[ClaimSpec],
    patch: int,
    subject: str = "",
    declared: Mapping[str, Iterable[str]] | None = None,
) -> list[Claim]:
    """Every (property, sentence) a message promises; several promises of one sentence are several claims.
    The subject (without its "mm/mlock: " prefixes) is read too, as line 0. An analogy ("Like VM_X, it
    ...") promises each property `declared` gives VM_X."""
    found: list[Claim] = []
    units = sentences(message)
    if subject.strip():
        units.insert(0, (_SUBJECT_PREFIX.sub("", subject.strip()), 0))
    for sentence, line in units:
        seen: set[str] = set()
        for spec in specs:
            if spec.property not in seen and reads_as(spec, sentence):
                seen.add(spec.property)
                found.append(Claim(spec.property, sentence, line, patch))
        if sentence.rstrip().endswith("?") or _HEDGE.search(sentence):
            continue
        for target in analogies(sentence):
            for prop in (declared or {}).get(target, ()):
                if prop not in seen:
                    seen.add(prop)
                    found.append(Claim(prop, sentence, line, patch, via=target))
    return found
