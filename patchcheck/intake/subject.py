"""Patch-mail subjects: `[PATCH mm-unstable v2 3/7] mm: title`, `Re: ...`, `[PATCHv3]`, `[RFC PATCH RESEND]`.

The meaning of the bracketed prefixes follows b4's `LoreSubject` (the field's reference), so that a series
assembled here matches what `b4 am` would assemble: no version means v1, no counter means 1/1, and a
`Re:`/`Aw:`/`Fwd:` (or any two-three letter tag before a bracket) marks a reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_REPLY = re.compile(r"^(?:(?:re|aw|fwd):|\w{2,3}:\s*\[)", re.IGNORECASE)
_REPLY_TAG = re.compile(r"^\w{2,3}:\s*(?=\[)")
_LEADING_BRACKET = re.compile(r"^\[([^\]]*)\]\s*")
_GLUED_VERSION = re.compile(r"(patch)(v\d{1,6})\b", re.IGNORECASE)
_COUNTERS = re.compile(r"^(\d{1,4})/(\d{1,4})$")
_VERSION = re.compile(r"^v(\d{1,6})$", re.IGNORECASE)  # bounded: no 5,000-digit int()


@dataclass(frozen=True)
class Subject:
    """What a subject line says about the message it heads."""

    full: str
    title: str
    reply: bool = False
    patch: bool = False
    rfc: bool = False
    resend: bool = False
    revision: int = 1
    revision_inferred: bool = True
    counter: int = 1
    expected: int = 1
    counters_inferred: bool = True
    prefixes: tuple[str, ...] = field(default=())

    @property
    def is_cover(self) -> bool:
        return self.counter == 0 and not self.counters_inferred

    @property
    def extra_prefixes(self) -> tuple[str, ...]:
        """Prefixes other than PATCH/RFC/RESEND, version and counters, e.g. ('mm-unstable',)."""
        skip = ("patch", "rfc", "resend")
        return tuple(
            p
            for p in self.prefixes
            if not p.lower().startswith(skip) and not _VERSION.match(p) and not _COUNTERS.match(p)
        )


def parse_subject(raw: str) -> Subject:
    text = " ".join(raw.split())
    full = text
    reply = bool(_REPLY.match(text))
    if reply:
        # Drop the reply tag only when brackets follow it ("Re: [PATCH"); "Re: Re: x" stays whole, as in b4.
        text = _REPLY_TAG.sub("", text, count=1)
    patch = rfc = resend = False
    revision, counter, expected = 1, 1, 1
    revision_inferred = counters_inferred = True
    prefixes: list[str] = []
    while (match := _LEADING_BRACKET.match(text)) is not None:
        inside = _GLUED_VERSION.sub(r"\1 \2", match.group(1).strip())
        for chunk in inside.split():
            chunk = chunk.strip(",;")
            lowered = chunk.lower()
            if counters := _COUNTERS.match(chunk):
                counter, expected = int(counters.group(1)), int(counters.group(2))
                counters_inferred = False
            elif version := _VERSION.match(chunk):
                revision, revision_inferred = int(version.group(1)), False
            elif lowered.startswith("rfc"):
                rfc = True
            elif lowered.startswith("resend"):
                resend = True
            elif lowered.startswith("patch"):
                patch = True
            prefixes.append(chunk)
        text = text[match.end() :]
    return Subject(
        full=full,
        title=text.strip(),
        reply=reply,
        patch=patch,
        rfc=rfc,
        resend=resend,
        revision=revision,
        revision_inferred=revision_inferred,
        counter=counter,
        expected=expected,
        counters_inferred=counters_inferred,
        prefixes=tuple(prefixes),
    )
