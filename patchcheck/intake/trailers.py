"""Trailers (`Reviewed-by: Name <mail>`) in commit messages and in review replies, as b4 collects them."""

from __future__ import annotations

import re
from dataclasses import dataclass

_TRAILER = re.compile(r"^([A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*):\s+(\S.*)$")
_NON_PERSON_TRAILERS = {"fixes", "link", "closes", "cc", "base-commit", "change-id"}


@dataclass(frozen=True)
class Trailer:
    name: str
    value: str
    source: str  # "commit message", or the Message-ID of the reply that gave it

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"


def _is_trailer_name(name: str) -> bool:
    lowered = name.lower()
    return lowered.endswith("-by") or lowered in _NON_PERSON_TRAILERS


def message_trailers(message: str) -> list[Trailer]:
    """Trailers in the last paragraph of a commit message."""
    paragraphs = [p for p in re.split(r"\n\s*\n", message.strip()) if p.strip()]
    if not paragraphs:
        return []
    found = []
    for line in paragraphs[-1].splitlines():
        match = _TRAILER.match(line.strip())
        if match and _is_trailer_name(match.group(1)):
            found.append(Trailer(match.group(1), match.group(2).strip(), "commit message"))
    return found


def reply_trailers(body: str, source: str) -> list[Trailer]:
    """Person trailers a reviewer wrote (not quoted) in a reply: `Acked-by: Name <mail>`."""
    found = []
    for line in body.splitlines():
        if line.lstrip().startswith(">"):
            continue
        match = _TRAILER.match(line.strip())
        if match and match.group(1).lower().endswith("-by") and "@" in match.group(2):
            found.append(Trailer(match.group(1), match.group(2).strip(), source))
    return found
