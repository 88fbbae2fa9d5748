"""A patch carried in the body of a reply, and in-body headers.

Maintainers answer a patch with a patch: "here is what I plan to queue", then an unquoted patch that carries
its own `From:`/`Date:`/`Subject:` lines (as `git am` reads them at the top of a body) or follows a scissors
line (`-- >8 --`). What precedes them (the reply's own words, quoted text) is not the commit message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PSEUDO = re.compile(r"^(From|Date|Subject|Message-I[Dd]):[ \t]*(.*)$")
_SCISSORS = re.compile(r"^\s*(?:-+\s*)?(?:>8|8<)(?:\s*-+)?\s*$")
_QUOTED = re.compile(r"^ ?>")


@dataclass(frozen=True)
class InBody:
    """What the text before a diff says: the commit message, and in-body headers when it has them."""

    message: str
    subject: str | None = None
    author: str | None = None
    date: str | None = None


def in_body_headers(before_diff: str, *, reply: bool) -> InBody:
    """Split the text before a diff's `---` into in-body headers and the commit message.

    The last block of in-body headers (a run of `From:`/`Date:`/`Subject:` lines after a blank line or at the
    start) begins the patch; without one, the text after the last scissors line does. In a reply with
    neither, quoted lines are dropped from the message. Outside a reply only a block at the very top counts,
    as in `git am`."""
    lines = before_diff.replace("\r\n", "\n").split("\n")
    start = _last_header_block(lines)
    if start is not None and (reply or start == 0):
        fields: dict[str, str] = {}
        index = start
        while index < len(lines) and (match := _PSEUDO.match(lines[index])):
            fields.setdefault(match.group(1).title(), match.group(2).strip())
            index += 1
        return InBody(
            message="\n".join(lines[index:]).strip("\n"),
            subject=fields.get("Subject"),
            author=fields.get("From"),
            date=fields.get("Date"),
        )
    scissors = [i for i, line in enumerate(lines) if _SCISSORS.match(line)]
    if scissors:
        return in_body_headers("\n".join(lines[scissors[-1] + 1 :]).strip("\n"), reply=False)
    if reply:
        lines = [line for line in lines if not _QUOTED.match(line)]
    return InBody(message="\n".join(lines).strip("\n"))


def _last_header_block(lines: list[str]) -> int | None:
    found = None
    for index, line in enumerate(lines):
        if not _PSEUDO.match(line) or (index and _PSEUDO.match(lines[index - 1])):
            continue
        if index and lines[index - 1].strip():
            continue  # a "From:" inside a paragraph is prose
        end = index
        while end < len(lines) and _PSEUDO.match(lines[end]):
            end += 1
        names = {m.group(1).title() for line in lines[index:end] if (m := _PSEUDO.match(line))}
        if "Subject" in names or "From" in names:
            found = index
    return found
