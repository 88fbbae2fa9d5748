"""A Kconfig file's `source` lines read without scanning it: the lines that open and close blocks, and
whether a line is help text, read as patchcheck.source.kconfig.scan_kconfig reads them. Kconfig discovery
(patchcheck.source.kconfig_lazy) uses it to follow the `source` tree without scanning the ~1,800 files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from patchcheck.source.kconfig import BLOCK_WORDS, SOURCE_LINE, SourceSite

# A line whose first word opens or closes a block or reads a file (`BLOCK_WORDS`): the only lines where the
# conditions a `source` line is read under change, with the `depends on` lines of a menu or choice. Searched
# from the newline before it (a literal the engine skips to; the text is given one in front), as a
# line-anchored expression is tried at every character; group 1 is its indentation.
_BLOCK_LINE = re.compile(
    r"\n([ \t]*+)(?:if|endif|menu|endmenu|choice|endchoice|comment|mainmenu|o?r?source)"
    r"(?![^ \t\n\\])"  # a backslash that ends the line joins the next after a space
)
# What str.strip() takes for a space besides spaces, tabs and newlines: a text with one is scanned
_CONTROL_SPACES = ("\x0b", "\x0c", "\r", "\x1c", "\x1d", "\x1e", "\x1f")
_OTHER_SPACE = re.compile("[\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
_UNINDENTED = re.compile(r"\n[^ \t\n]")


def source_sites(path: str, text: str) -> list[SourceSite] | None:
    """`scan_kconfig(path, text).sources`, read from the lines that open and close blocks (and the lines
    that follow a menu or choice): the entries and their help text are not read. None when the text has what
    this could read otherwise (whitespace other than spaces, tabs and newlines; such a line that a backslash
    may join to the one before; a line the scan would join near one it must place in or out of help text):
    then the caller scans the file."""
    if any(c in text for c in _CONTROL_SPACES) or (not text.isascii() and _OTHER_SPACE.search(text)):
        return None
    text = "\n" + text  # every line follows a newline: positions are one more than in the file
    sources: list[SourceSite] = []
    stack: list[list[str]] = []
    read = 0  # the lines before this position are read (a block line there was part of another line)
    lineno, counted = 0, 0  # the number of the line that ends at `counted`
    for found in _BLOCK_LINE.finditer(text):
        start = found.start() + 1
        if start < read:
            continue
        if start >= 2 and text[start - 2] == "\\":
            return None  # the line before may go on into this one
        if found.group(1):  # indented: it may be help text
            in_help = _in_help(text, start)
            if in_help is None:
                return None
            if in_help:
                continue
        end, raw = _logical_line(text, start)
        read = end + 1
        line = raw.strip()
        word, rest = _word_and_rest(line)
        if word == "if":
            stack.append([rest])
        elif word in ("menu", "choice"):
            stack.append([])
            after = _menu_conditions(text, end + 1, stack[-1])
            if after is None:
                return None
            read = after
        elif word in ("endif", "endmenu", "endchoice"):
            if stack:
                stack.pop()
        elif word.endswith("source") and (sm := SOURCE_LINE.match(line)):
            lineno, counted = lineno + text.count("\n", counted, start), start
            conds = tuple(c for block in stack for c in block)
            sources.append(SourceSite(sm.group(2), conds, lineno, sm.group(1).lstrip("o").startswith("r")))
    return sources


def _word_and_rest(line: str) -> tuple[str, str]:
    """A stripped line's keyword and the rest, as scan_kconfig reads them (inline there: its hot loop)."""
    word, _, rest = (line.replace("\t", " ") if "\t" in line else line).partition(" ")
    rest = rest.strip()
    if '"' not in rest and "#" in rest:
        rest = rest.split("#", 1)[0].strip()
    return word, rest


def _logical_line(text: str, start: int) -> tuple[int, str]:
    """(end, text) of the line at `start` with the lines its backslashes continue, as `kconfig._joined`
    joins them outside help text."""
    end = _line_end(text, start)
    raw = text[start:end]
    while raw.endswith("\\") and end < len(text):
        after = _line_end(text, end + 1)
        raw = raw[:-1] + " " + text[end + 1 : after]
        end = after
    return end, raw


def _line_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    return len(text) if end < 0 else end


def _read_lines(text: str, pos: int) -> Iterator[tuple[int, int, str] | None]:
    """From `pos` on (the start of a line scan_kconfig reads outside help text), each line it reads:
    (start, end, text), lines continued by a backslash joined; help text passed over as the scan passes over
    it. None, and nothing more, at a line of help text the scan would join to the next."""
    help_indent, prefix = -1, ""  # in help text when help_indent >= 0 (0: its first line not seen yet)
    while pos < len(text):
        end = _line_end(text, pos)
        raw = text[pos:end]
        if help_indent >= 0:
            if (prefix and raw.startswith(prefix)) or not raw.strip(" \t"):
                pos = end + 1
                continue
            if raw.endswith("\\"):
                yield None
                return
            leading = raw[: len(raw) - len(raw.lstrip(" \t"))]
            indent = _indent(leading)
            if help_indent == 0:
                help_indent, prefix = indent, leading
            if indent >= help_indent and indent > 0:
                pos = end + 1
                continue
            help_indent, prefix = -1, ""
        end, raw = _logical_line(text, pos)
        yield pos, end, raw
        if _word_and_rest(raw.strip())[0] in ("help", "---help---"):
            help_indent = 0
        pos = end + 1


def read_as_help(text: str, start: int) -> bool | None:
    """Whether scan_kconfig passes over the line of `text` beginning at offset `start` as help text (only
    an indented line can be); None when that cannot be told without scanning."""
    return _in_help("\n" + text, start + 1)


def _in_help(text: str, start: int) -> bool | None:
    """Whether scan_kconfig passes over the line at `start` as help text: read from the last line before it
    that is not indented (no help text goes on past one); None where that cannot be told so."""
    since = text.rfind("\n", 0, start - 1)
    while since > 0 and not _UNINDENTED.match(text, since):
        since = text.rfind("\n", 0, since)
    since = max(since, 0) + 1
    # that line must be read as it is: not joined to the one before, nor to the next (a lone backslash
    # joined to an indented line makes an indented one)
    if (since >= 2 and text[since - 2] == "\\") or text[_line_end(text, since) - 1] == "\\":
        return None
    for read in _read_lines(text, since):
        if read is None:
            return None
        if read[0] >= start:
            return read[0] != start
    return True


def _menu_conditions(text: str, pos: int, conds: list[str]) -> int | None:
    """Add to `conds` the `depends on` conditions of the menu or choice whose lines begin at `pos`, and
    return where its first entry or block line begins, which ends them; None where help text is joined."""
    for read in _read_lines(text, pos):
        if read is None:
            return None
        start, _, raw = read
        word, rest = _word_and_rest(raw.strip())
        if word in ("config", "menuconfig") or word in BLOCK_WORDS:
            return start  # (joined to the next, it is read again there, or seen to follow a joined line)
        if word == "depends" and rest.startswith("on"):
            conds.append(rest[2:].strip())
    return len(text)


def _indent(prefix: str) -> int:
    return len(prefix.expandtabs(8)) if "\t" in prefix else len(prefix)
