"""What one run read of a directory tree, and a check by stat alone that a later run would read the same.

A `Journal` names what a run asked of a DirectoryTree: files (read, stamped, or found absent), directories
it listed, and searches (every file with given suffixes below a directory, as `grep -r` reads them).
`stamp` turns it into `Stamps` once the run is over, and `Stamps.hold` says whether the tree still looks
the same: every file and listed directory has the size, mtime and inode it had, and every search's files
the same. That is what lets audit keep its report between runs of an unchanged tree.

A search is stamped in parts (the files right in its directory, each directory below it), which the two
processes of a forked run take in turns while the other still works (patchcheck.rules.states); the stamp
of the search is a digest of its parts' digests.

A file the run read (no symlink) keeps the stamp the run took when it read it (`Journal.stamped`); the
rest is stamped after the run, so something edited while the run read it could carry a stamp newer than
what was read. As git does for its index ("racy git"), anything modified from shortly before the run began
makes `stamp` refuse: nothing is kept, and the next run starts afresh. (A file edited after the run read it
keeps the stamp of what was read, which the next run finds stale.) Something absent is judged by the
directory it would be in (a removal changes that directory's time). Symlinks are stamped with their
targets, so a directory listed through a link is watched where its entries are.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from patchcheck.source.hashing import blake2b

# File times come from a coarse clock that may lag the time the run read at its start by a tick.
_RACY_MARGIN_NS = 1_000_000_000

Search = tuple[str, tuple[str, ...]]  # (directory, suffixes)
Part = tuple[str, tuple[str, ...], str]  # a search's part: (directory, suffixes, part: see `search_parts`)
_NO_PARTS: dict[Part, str] = {}


@dataclass
class Journal:
    files: set[str] = field(default_factory=set)
    dirs: set[str] = field(default_factory=set)
    searches: set[Search] = field(default_factory=set)
    # When the run began, for the parts of searches stamped before the run ends (`stamp_part`).
    since_ns: int | None = None
    # Parts stamped already: the two processes of a forked run stamp them while the other still works.
    parts: dict[Part, str] = field(default_factory=dict)
    # Stamps of files (no symlink) taken when the run read or stat'ed them, as `_file` gives them: `stamp`
    # takes these instead of a stat at the end (they describe what was read, not what is there later).
    stamped: dict[str, str] = field(default_factory=dict)

    def merge(self, other: Journal) -> None:
        self.files |= other.files
        self.dirs |= other.dirs
        self.searches |= other.searches
        self.parts.update(other.parts)
        self.stamped.update(other.stamped)

    def stamp_part(self, root: Path, part: Part) -> None:
        """Stamp one part of a search now, as `stamp` would: any time after the run began will do, for a
        search made or still to be made. One changed since the run began is left to `stamp` (which refuses
        if the search was made)."""
        if self.since_ns is None or part in self.parts:
            return
        directory, suffixes, name = part
        with contextlib.suppress(_Racy):
            self.parts[part] = _part(str(root), directory, name, suffixes, self.since_ns - _RACY_MARGIN_NS)


def search_parts(root: Path, searches: Iterable[Search]) -> list[Part]:
    """The parts the stamp of each search is taken in, which two processes can share: the files right in
    the directory (part ""), and each directory below it (not a symlink: `grep -r` does not enter those)."""
    return [(d, suffixes, name) for d, suffixes in sorted(searches) for name in _part_names(str(root), d)]


def _part_names(base: str, directory: str) -> list[str]:
    top = f"{base}/{directory}" if directory else base
    try:
        with os.scandir(top) as entries:
            below = [e.name for e in entries if e.is_dir(follow_symlinks=False)]
    except OSError:
        below = []
    return ["", *sorted(below)]


@dataclass(frozen=True)
class Stamps:
    files: tuple[tuple[str, str | None], ...]
    dirs: tuple[tuple[str, str | None], ...]
    searches: tuple[tuple[str, tuple[str, ...], str], ...]  # (directory, suffixes, digest of their stamps)

    def hold(self, root: Path) -> bool:
        """Whether the tree at `root` still has every stamp (stat only; no file is read)."""
        base = str(root)
        try:
            return (
                all(_file(base, path)[0] == kept for path, kept in self.files)
                and all(_directory(base, path)[0] == kept for path, kept in self.dirs)
                and all(_search(base, d, suffixes, None) == kept for d, suffixes, kept in self.searches)
            )
        except ValueError:  # a path no run could have read (a NUL in it): a damaged entry
            return False


class _Racy(Exception):
    """Something was modified after the run began."""


def stamp(root: Path, journal: Journal, *, since_ns: int) -> Stamps | None:
    """The stamps of everything `journal` names, or None when something changed from `since_ns` (the run's
    start) on: what the run read may not be what the stamps describe."""
    base, limit = str(root), since_ns - _RACY_MARGIN_NS
    try:
        files = tuple(
            (p, _checked(base, p, _stamped(base, p, journal.stamped), limit)) for p in sorted(journal.files)
        )
        dirs = tuple((d, _checked(base, d, _directory(base, d), limit)) for d in sorted(journal.dirs))
        searches = tuple(
            (d, s, _search(base, d, s, limit, journal.parts)) for d, s in sorted(journal.searches)
        )
    except _Racy:
        return None
    return Stamps(files, dirs, searches)


def _stamped(base: str, path: str, stamped: Mapping[str, str]) -> tuple[str | None, int]:
    """(stamp, mtime) of a file: as the run took it when it read the file, else from a stat now."""
    token = stamped.get(path)
    if token is None:
        return _file(base, path)
    return token, int(token.split(":")[1])


def _checked(base: str, path: str, found: tuple[str | None, int], limit: int) -> str | None:
    """The stamp of `path`, unless it changed from `limit` on. Something absent has no time of its own: the
    nearest directory above it that exists says when an entry last went or came there."""
    token, mtime = found
    while token is None:
        path = os.path.dirname(path)
        mtime = _directory(base, path)[1]
        if mtime or not path:
            break
    if mtime >= limit:
        raise _Racy
    return token


def _file(base: str, path: str) -> tuple[str | None, int]:
    """(stamp, mtime) of a file; a symlink is stamped with its target too (a new target is a new file)."""
    full = f"{base}/{path}" if path else base
    try:
        st = os.lstat(full)
    except OSError:
        return None, 0
    token = f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"
    if not stat.S_ISLNK(st.st_mode):
        return token, st.st_mtime_ns
    try:
        token += f">{os.readlink(full)}"
        target = os.stat(full)
    except OSError:
        return token, st.st_mtime_ns  # a link to nothing: its target's name is its stamp
    return f"{token}:{target.st_size}:{target.st_mtime_ns}:{target.st_ino}", max(
        st.st_mtime_ns, target.st_mtime_ns
    )


def _directory(base: str, path: str) -> tuple[str | None, int]:
    """(stamp, mtime) of a directory: its mtime changes whenever an entry is added, removed or renamed."""
    full = f"{base}/{path}" if path else base
    try:
        st = os.lstat(full)
        link = ""
        if stat.S_ISLNK(st.st_mode):  # listed through the link: its target's entries are what was read
            link = f"{os.readlink(full)}>"
            st = os.stat(full)
    except OSError:
        return None, 0
    if not stat.S_ISDIR(st.st_mode):
        return f"{link}not a directory", st.st_mtime_ns
    return f"{link}{st.st_mtime_ns}:{st.st_ino}", st.st_mtime_ns


def _search(
    base: str,
    directory: str,
    suffixes: tuple[str, ...],
    limit: int | None,
    known: Mapping[Part, str] = _NO_PARTS,
) -> str:
    """A digest of the names and stamps of every file below `directory` ending in one of `suffixes`, as
    `grep -r` reads them (directory symlinks are not entered, `.git` directories are): a digest of the
    digests of its parts (`search_parts`), those in `known` taken as they are."""
    h = blake2b(digest_size=20)
    for name in _part_names(base, directory):
        found = known.get((directory, suffixes, name))
        if found is None:
            found = _part(base, directory, name, suffixes, limit)
        h.update(f"{name}\0{found}\0".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def _part(base: str, directory: str, name: str, suffixes: tuple[str, ...], limit: int | None) -> str:
    """The digest of one part of a search: the files right in `directory` (`name` ""), or all below its
    directory `name`."""
    h = blake2b(digest_size=20)
    top = f"{base}/{directory}" if directory else base
    if name:
        walked = os.walk(f"{top}/{name}")
    else:
        try:
            with os.scandir(top) as entries:
                files = [e.name for e in entries if not e.is_dir()]
        except OSError:
            files = []
        walked = iter([(top, [], files)])
    for dirpath, dirnames, filenames in walked:
        dirnames.sort()
        where = dirpath[len(top) :]
        stamped: list[str] = []  # hashed at once: the digest of their concatenation is the same
        for file in sorted(filenames):
            if file.endswith(suffixes):
                found = _file(dirpath, file)
                token = found[0] if limit is None else _checked(dirpath, file, found, limit)
                stamped.append(f"{where}/{file}\0{token}\0")
        h.update("".join(stamped).encode("utf-8", "surrogateescape"))
    return h.hexdigest()
