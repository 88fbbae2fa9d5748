"""Kconfig files scanned when a question first reaches a name they declare or select.

A cold audit asks about a few hundred of a tree's ~25,000 symbols, which a fifth of its Kconfig files
declare or select. Discovery (patchcheck.source.kconfig_tree) still reads every file (for the `source` tree
and the stamps) but scans none: of each file it notes the names that its `config`, `menuconfig`, `select`
and `imply` lines mention (`unscanned`, a regular expression over the bytes: never fewer names than the scan
finds) and the `source` lines it has (patchcheck.source.kconfig_lines.source_sites, exactly as the scan reads
them), and scans it when a question reaches one of the names. The entries are those a full scan gives, in
the same order: definitions in the order the files are read, and each selector entry pointing at the same
definition by index.

A file the expressions could misread (a name on a continuation line or one that is no plain word,
whitespace other than spaces and tabs, a `source` line near lines a backslash joins) is scanned at once,
and looking up a name that is not a plain word scans every file.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

from patchcheck.source.kconfig import Definition, KconfigFile, SourceSite, scan_kconfig
from patchcheck.source.kconfig_lines import read_as_help, source_sites

_SOURCE_LINE = re.compile(rb"\n[ \t]*o?r?source")
# A `config`, `menuconfig`, `select` or `imply` line (the keyword as a word of its own), with the one plain
# name the line scanner reads from it (group 1 or 2): the rest of the line is the name, bar a comment (one
# the scan strips: no quote in it, and no backslash that continues it); the target of a `select` line is
# what comes before its ` if `. A keyword line without that name (a name on the continuation line, none, or
# one that is no plain word: `FOO-BAR`, `?X`, `"Q"`, `FOO BAR`, which the scan keeps as written and a lookup
# by word would not reach) makes the file one to scan at once. Whitespace other than spaces and tabs that
# str.strip() removes is looked for apart (`_CONTROL`, `_UNICODE_SPACE`); CRLF line endings, other
# continuation lines (a superset at worst) and other non-ASCII text read alike. Every quantifier is
# possessive: a line is tried once.
_END = rb"[ \t]*+(?:#[^\"\\\n]*+)?(?=\r?\n|\Z)"
_KEYWORD_LINE = re.compile(
    rb"\n[ \t]*+(?:(?:menuconfig|config)(?![^ \t\\\r\n])(?:[ \t]++(\w++)" + _END + rb")?"
    rb"|(?:select|imply)(?![^ \t\\\r\n])(?:[ \t]++(\w++)(?:" + _END + rb"|[ \t]++if[ \t]))?)"
)
# Searched only in files that have such a byte at all: a character class searched byte by byte over every
# Kconfig file is most of discovery's time, a test for one byte is not.
_CONTROL_BYTES = tuple(bytes((c,)) for c in b"\x0b\x0c\x1c\x1d\x1e\x1f\r")
_CONTROL = re.compile(rb"[\x0b\x0c\x1c-\x1f]|\r(?!\n)")
_UNICODE_SPACE = re.compile(
    rb"\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]|\xe2\x81\x9f|\xe3\x80\x80"
)
_WORD = re.compile(r"\w+", re.ASCII)

Read = Callable[[str], bytes | None]
# A KconfigDB's tables: definitions by name and selector entries by target (packed), choice groups by
# (file, index).
Tables = tuple[Mapping[str, str], Mapping[str, str], Mapping[tuple[str, int], list[str]]]


class Unscanned(NamedTuple):
    """What discovery takes of a file it does not scan yet."""

    names: set[str]  # every name its `config`, `menuconfig`, `select` and `imply` lines may mention
    sources: list[SourceSite]  # its `source` lines, as its scan reads them (kconfig_lines.source_sites)


def unscanned(path: str, data: bytes) -> Unscanned | None:
    """The names the `config`, `menuconfig`, `select` and `imply` lines of a file may declare or select (as
    many as its scan finds, or more) and its `source` lines, or None when discovery scans it at once: it has
    text the expressions could misread."""
    data = b"\n" + data
    if any(byte in data for byte in _CONTROL_BYTES) and _CONTROL.search(data):
        return None
    if not data.isascii() and _UNICODE_SPACE.search(data) is not None:
        return None
    names = {config_name or select_name for config_name, select_name in _KEYWORD_LINE.findall(data)}
    if b"" in names and not _all_in_help(data):
        return None
    names.discard(b"")
    sources: list[SourceSite] | None = []
    if b"source" in data and _SOURCE_LINE.search(data):
        sources = source_sites(path, data[1:].decode("utf-8", "surrogateescape"))
    return None if sources is None else Unscanned({name.decode("ascii") for name in names}, sources)


def _all_in_help(data: bytes) -> bool:
    """Whether every keyword line of `data` (a newline, then the file) whose name the expression cannot read
    is help text the scan passes over: prose such as "select the value" (ASCII text only, where a byte is a
    character)."""
    if not data.isascii():
        return False
    text = data[1:].decode("ascii")
    return all(
        read_as_help(text, line.start())  # the line's offset in the file: its newline's in `data`
        for line in _KEYWORD_LINE.finditer(data)
        if not (line.group(1) or line.group(2))
    )


def scanned_mentions(scanned: KconfigFile) -> set[str]:
    """The names a scanned file declares or selects (exactly)."""
    return {d.name for d in scanned.definitions} | {
        target.lstrip("?") for d in scanned.definitions for target, _ in d.selects
    }


def scan(path: str, data: bytes | None) -> KconfigFile:
    return scan_kconfig(path, data.decode("utf-8", "surrogateescape") if data is not None else "")


class KconfigFiles:
    """A tree's Kconfig files in reading order: those scanned, and which names each of the others mentions.

    `read` gives a file's content when it is scanned: the bytes discovery kept, or the tree's file (which
    the stamps say is unchanged since the names were noted)."""

    def __init__(self, order: list[str], named: list[list[str]], read: Read) -> None:
        """`named`: for each file of `order`, the names it may declare or select."""
        self.order = order
        self.named = named
        mentioned: dict[str, list[int]] = defaultdict(list)
        for rank, names in enumerate(named):
            for name in names:
                mentioned[name].append(rank)
        self.mentioned = dict(mentioned)  # name -> the files (by reading order) that may declare or select it
        self.scans: dict[str, KconfigFile] = {}
        self._read = read
        self._indexes: dict[str, _FileIndex] = {}

    def scan(self, path: str) -> KconfigFile:
        found = self.scans.get(path)
        if found is None:
            found = self.scans[path] = scan(path, self._read(path))
        return found

    def scan_all(self) -> list[KconfigFile]:
        return [self.scan(path) for path in self.order]

    def definitions_of(self, name: str) -> list[Definition]:
        """The definitions of `name` (a word), in reading order."""
        return [d for f in self._indexes_for(name) for d in f.defines.get(name, ())]

    def selections_of(self, target: str) -> list[tuple[Definition, str]]:
        """(definition, condition) of each `select NAME` (`imply NAME` for "?NAME"), in reading order."""
        return [e for f in self._indexes_for(target.removeprefix("?")) for e in f.selects.get(target, ())]

    def _indexes_for(self, name: str) -> Iterator[_FileIndex]:
        for rank in self.mentioned.get(name, ()):
            path = self.order[rank]
            index = self._indexes.get(path)
            if index is None:
                index = self._indexes[path] = _FileIndex(self.scan(path))
            yield index


class _FileIndex:
    """A scanned file's definitions by name and its selections by target: a name that many files mention
    (MMU, 64BIT) is looked up in each of them, once per question."""

    def __init__(self, scanned: KconfigFile) -> None:
        self.defines: dict[str, list[Definition]] = defaultdict(list)
        self.selects: dict[str, list[tuple[Definition, str]]] = defaultdict(list)
        for d in scanned.definitions:
            self.defines[d.name].append(d)
            for target, cond in d.selects:
                self.selects[target].append((d, cond))


class LazyEntries:
    """The packed entries of a KconfigDB, built from `files` when first asked for. `known`: entries saved
    by an earlier run (definitions, selectors, choice groups), taken as they are."""

    def __init__(
        self,
        files: KconfigFiles,
        pack: Callable[[list[tuple[Any, ...]]], str],
        known: Tables = ({}, {}, {}),
    ) -> None:
        self.files = files
        self._pack = pack
        self._definitions: dict[str, str | None] = {}
        self._selectors: dict[str, str | None] = {}
        self._choices: dict[tuple[str, int], list[str]] = {}
        self._choice_files: set[str] = set()
        self._own: dict[str, list[Definition]] = {}  # each name's definitions, in order
        # Entries answered as scanned (`definitions_of`, `selections_of`), packed only when saved (`kept`)
        self._answered_definitions: set[str] = set()
        self._answered_selectors: set[str] = set()
        self._known = known
        self.full: Tables | None = None  # once every file is scanned
        self.definitions: Mapping[str, str] = _View(self, 0)
        self.selectors: Mapping[str, str] = _View(self, 1)
        self.choices: Mapping[tuple[str, int], list[str]] = _View(self, 2)

    # -- one entry ---------------------------------------------------------------------------------------
    def definition(self, name: str) -> str | None:
        if self.full is not None:
            return self.full[0].get(name)
        if name not in self._definitions:
            if name in self._known[0]:
                self._definitions[name] = self._known[0][name]
            elif not _WORD.fullmatch(name):
                return self.complete()[0].get(name)
            else:
                own = self._own_definitions(name)
                self._definitions[name] = self._pack([tuple(d) for d in own]) if own else None
        return self._definitions[name]

    def selector(self, target: str) -> str | None:
        if self.full is not None:
            return self.full[1].get(target)
        if target not in self._selectors:
            name = target.removeprefix("?")
            if target in self._known[1]:
                self._selectors[target] = self._known[1][target]
            elif not _WORD.fullmatch(name):
                return self.complete()[1].get(target)
            else:
                entries = [
                    (d.name, self._own_definitions(d.name).index(d), cond)  # where the entry points
                    for d, cond in self.files.selections_of(target)
                ]
                self._selectors[target] = self._pack(entries) if entries else None
        return self._selectors[target]

    def definitions_of(self, name: str) -> list[Definition] | None:
        """The definitions of `name` as scanned here, without packing them (packed when saved, `kept`);
        None when its entry is a saved one, or every entry is built: then the packed entry says."""
        if self.full is not None or name in self._known[0] or not _WORD.fullmatch(name):
            return None
        self._answered_definitions.add(name)
        return self._own_definitions(name)

    def selections_of(self, target: str) -> list[tuple[Definition, str]] | None:
        """(definition, condition) of each selector of `target` ("?NAME": implier) as scanned here, as
        `definitions_of` (None: the packed entry says)."""
        if self.full is not None or target in self._known[1] or not _WORD.fullmatch(target.removeprefix("?")):
            return None
        self._answered_selectors.add(target)
        return self.files.selections_of(target)

    def choice(self, group: tuple[str, int]) -> list[str] | None:
        if not (isinstance(group, tuple) and len(group) == 2 and isinstance(group[0], str)):
            return None  # no such key, as in a dict
        if self.full is not None:
            return self.full[2].get(group)
        if group in self._known[2]:
            return self._known[2][group]
        path = group[0]
        if path not in self._choice_files and path in self.files.order:
            self._choice_files.add(path)
            for d in self.files.scan(path).definitions:
                if d.choice:
                    self._choices.setdefault((path, d.choice), []).append(d.name)
        return self._choices.get(group)

    def _own_definitions(self, name: str) -> list[Definition]:
        """The definitions of `name`, in reading order (a word: the files that mention it are all)."""
        own = self._own.get(name)
        if own is None:
            own = self._own[name] = self.files.definitions_of(name)
        return own

    def built(self) -> int:
        """How many entries (and files' choice groups) were built here: what a save would add."""
        definitions = self._definitions.keys() | self._answered_definitions
        return (
            len(definitions)
            + len(self._selectors.keys() | self._answered_selectors)
            + len(self._choice_files)
        )

    # -- every entry -------------------------------------------------------------------------------------
    def has_definitions(self) -> bool:
        if self.full is not None:
            return bool(self.full[0])
        if self._known[0] or any(v is not None for v in self._definitions.values()):
            return True
        return any(self.definition(name) is not None for name in self.files.mentioned)

    def complete(self) -> Tables:
        """Every file scanned and every entry built, as a full scan builds them."""
        if self.full is None:
            definitions: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
            selected_by: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
            choices: dict[tuple[str, int], list[str]] = defaultdict(list)
            for scanned in self.files.scan_all():
                for d in scanned.definitions:
                    definitions[d.name].append(tuple(d))
                    if d.choice:
                        choices[(d.path, d.choice)].append(d.name)
                    for target, cond in d.selects:
                        selected_by[target].append((d.name, len(definitions[d.name]) - 1, cond))
            self.full = (
                Packed(dict(definitions), self._pack),
                Packed(dict(selected_by), self._pack),
                dict(choices),
            )
        return self.full

    def kept(self) -> tuple[dict[str, str], dict[str, str], dict[tuple[str, int], list[str]]]:
        """The entries built so far (each complete), to be saved with the files' mentions."""
        if self.full is not None:
            raise ValueError("a complete database is saved whole")
        for name in self._answered_definitions:
            self.definition(name)
        for target in self._answered_selectors:
            self.selector(target)
        definitions = {**self._known[0], **{k: v for k, v in self._definitions.items() if v is not None}}
        selectors = {**self._known[1], **{k: v for k, v in self._selectors.items() if v is not None}}
        return definitions, selectors, {**self._known[2], **self._choices}


class _View(Mapping[Any, Any]):
    """One table of a LazyEntries (`which`: as in Tables): looking a key up builds its entry; iterating it
    (len, bool) scans every file."""

    def __init__(self, entries: LazyEntries, which: int) -> None:
        self._entries = entries
        self._which = which
        self._lookup: Callable[[Any], Any] = (entries.definition, entries.selector, entries.choice)[which]

    def __getitem__(self, key: Any) -> Any:
        found = self._lookup(key)
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        return self._lookup(key) is not None

    def __iter__(self) -> Iterator[Any]:
        return iter(self._entries.complete()[self._which])

    def __len__(self) -> int:
        return len(self._entries.complete()[self._which])


class Packed(Mapping[str, str]):
    """Entries by name, packed when first asked for: most are only ever packed to be saved (after the
    answers, see patchcheck.rules.forked)."""

    def __init__(self, unpacked: dict[str, list[tuple[Any, ...]]], pack: Callable[[list[Any]], str]) -> None:
        self._unpacked = unpacked
        self._pack = pack
        self._packed: dict[str, str] = {}

    def __getitem__(self, name: str) -> str:
        found = self._packed.get(name)
        if found is None:
            found = self._packed[name] = self._pack(self._unpacked[name])
        return found

    def __contains__(self, name: object) -> bool:
        return name in self._unpacked

    def __iter__(self) -> Iterator[str]:
        return iter(self._unpacked)

    def __len__(self) -> int:
        return len(self._unpacked)
