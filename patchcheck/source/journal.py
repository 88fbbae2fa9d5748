"""What one run read of a directory tree, and a check that a later run would read the same.

A `Journal` names what a run asked of a DirectoryTree: files (read, stamped, or found absent), directories
it listed, and searches (which files below some directories hold some words: patchcheck.source.search),
with what each search found. `stamp` turns it into `Stamps` once the run is over, and `Stamps.hold` says
whether the tree still looks the same: every file and listed directory has the size, mtime and inode it had
(a stat), and every search finds the same files again (it is run again, only once everything else holds).
That is what lets audit keep its report between runs of an unchanged tree.

A file the run read (no symlink) keeps the stamp the run took when it read it (`Journal.stamped`); the
rest is stamped after the run, so something edited while the run read it could carry a stamp newer than
what was read. As git does for its index ("racy git"), anything modified from shortly before the run began
makes `stamp` refuse: nothing is kept, and the next run starts afresh. (A file edited after the run read it
keeps the stamp of what was read, which the next run finds stale.) Something absent is judged by the
directory it would be in (a removal changes that directory's time). Symlinks are stamped with their
targets, so a directory listed through a link is watched where its entries are. A search that failed, or
that found other files when it was made again in the same run, keeps nothing.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from patchcheck.errors import InputError
from patchcheck.source import search as grep
from patchcheck.source.search import Search

# File times come from a coarse clock that may lag the time the run read at its start by a tick.
_RACY_MARGIN_NS = 1_000_000_000


@dataclass
class Journal:
    files: set[str] = field(default_factory=set)
    dirs: set[str] = field(default_factory=set)
    # Each search made, with the digest of what it found (patchcheck.source.search); None: it failed, or it
    # found other files when it was made again.
    searches: dict[Search, str | None] = field(default_factory=dict)
    # Stamps of files (no symlink) taken when the run read or stat'ed them, as `_file` gives them: `stamp`
    # takes these instead of a stat at the end (they describe what was read, not what is there later).
    stamped: dict[str, str] = field(default_factory=dict)

    def searched(self, search: Search, found: str | None) -> None:
        """Note a search and the digest of what it found (None: it failed)."""
        known = self.searches.setdefault(search, found)
        if known != found:
            self.searches[search] = None

    def merge(self, other: Journal) -> None:
        self.files |= other.files
        self.dirs |= other.dirs
        for search, found in other.searches.items():
            self.searched(search, found)
        self.stamped.update(other.stamped)


@dataclass(frozen=True)
class Stamps:
    files: tuple[tuple[str, str | None], ...]
    dirs: tuple[tuple[str, str | None], ...]
    searches: tuple[tuple[Search, str], ...]  # (search, digest of what it found)

    def hold(self, root: Path) -> bool:
        """Whether the tree at `root` still has every stamp (a stat each) and every search finds the same
        files again (the greps run meanwhile, and are stopped as soon as a stamp has changed)."""
        base = str(root)
        searching = _search_again(root, self.searches)
        try:
            held = searching is not None and (
                all(_file(base, path)[0] == kept for path, kept in self.files)
                and all(_directory(base, path)[0] == kept for path, kept in self.dirs)
            )
        except ValueError:  # a path no run could have read (a NUL in it): a damaged entry
            held = False
        return _found_again(searching or [], collect=held)


class _Racy(Exception):
    """Something was modified after the run began."""


def stamp(root: Path, journal: Journal, *, since_ns: int) -> Stamps | None:
    """The stamps of everything `journal` names, or None when something changed from `since_ns` (the run's
    start) on: what the run read may not be what the stamps describe."""
    base, limit = str(root), since_ns - _RACY_MARGIN_NS
    searches = []
    for search, found in sorted(journal.searches.items()):
        if found is None:
            return None
        searches.append((search, found))
    try:
        files = tuple(
            (p, _checked(base, p, _stamped(base, p, journal.stamped), limit)) for p in sorted(journal.files)
        )
        dirs = tuple((d, _checked(base, d, _directory(base, d), limit)) for d in sorted(journal.dirs))
    except _Racy:
        return None
    return Stamps(files, dirs, tuple(searches))


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


_Searching = list[tuple["subprocess.Popen[bytes] | None", tuple[str, ...], str]]


def _search_again(root: Path, searches: tuple[tuple[Search, str], ...]) -> _Searching | None:
    """Each search made again on the tree at `root`, running (grep); None when grep cannot be started."""
    from patchcheck.source.tree import DirectoryTree  # the tree journals with this module

    tree = DirectoryTree(root)
    running: _Searching = []
    try:
        for (words, dirs, suffixes), kept in searches:
            present = tree.search_roots(dirs)
            process = grep.start(root, words, present, suffixes) if present else None
            running.append((process, suffixes, kept))
    except (OSError, ValueError, InputError):  # no grep, or a damaged entry: nothing says they find the same
        _found_again(running, collect=False)
        return None
    return running


def _found_again(running: _Searching, *, collect: bool) -> bool:
    """Whether every search found what it found before (`collect`), or stop them all."""
    same = collect
    for process, suffixes, kept in running:
        if process is None:
            same = same and grep.digest(()) == kept
        elif same:
            found, complete = grep.listing(process, suffixes)
            same = complete and grep.digest(found) == kept
        else:
            process.kill()
            process.communicate()
    return same
