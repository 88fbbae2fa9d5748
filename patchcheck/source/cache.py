"""A small on-disk cache for derived products of source files (parses, Kconfig scans, flag models).

Entries are keyed by a namespace and a content digest, never by path alone, so an edited file can never be
served a stale product. The cache lives in ``$PATCHCHECK_CACHE/parse/v<N>``, by default
``${XDG_CACHE_HOME:-~/.cache}/patchcheck/parse/v<N>``; bump `CACHE_VERSION` whenever a cached product
changes shape. ``PATCHCHECK_CACHE=off`` disables it.

An entry is a regular file: a header line naming the format and its version, then plain data
(patchcheck.source.plaindata: JSON checked against the schema of patchcheck's own types, never code). Writes
are atomic (a temporary file renamed into place). Whatever is wrong with an entry (damaged, wrong shape, a
FIFO or a symlink planted in its place) makes it a miss, and the product is rebuilt and written again:
every failure to read or write the cache is silent, the cache may only ever make things faster.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from patchcheck.errors import InputError
from patchcheck.source import plaindata
from patchcheck.source.hashing import blake2b
from patchcheck.source.tree import (
    DirectoryTree,
    GitRevisionTree,
    OverlayTree,
    SourceTree,
    safe_relpath,
    stat_stamp,
)

CACHE_VERSION = 5
_HEADER = b"patchcheck-cache plaindata %d\n" % CACHE_VERSION
_MAX_ENTRY = 1 << 30  # an entry larger than this is not read


def cache_home() -> Path:
    """Where patchcheck keeps what it caches: $PATCHCHECK_CACHE, else $XDG_CACHE_HOME/patchcheck, else
    ~/.cache/patchcheck."""
    configured = os.environ.get("PATCHCHECK_CACHE")
    if configured and configured != "off":
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "patchcheck"
    return Path.home() / ".cache" / "patchcheck"


def cache_root() -> Path | None:
    if os.environ.get("PATCHCHECK_CACHE") == "off":
        return None
    return cache_home() / "parse" / f"v{CACHE_VERSION}"


_CODE_DIGEST: str | None = None


def code_digest() -> str:
    """A digest of the code that builds cached products, part of every key: an upgrade never reads a
    product built by older code."""
    global _CODE_DIGEST
    if _CODE_DIGEST is None:  # read with os alone: part of every run's start, where pathlib took ~3 ms more
        parts: list[bytes | str] = [str(CACHE_VERSION)]
        for path in _code_paths():
            with open(path, "rb") as code:
                parts.append(code.read())
        _CODE_DIGEST = digest(*parts)
    return _CODE_DIGEST


def code_files() -> list[Path]:
    """The modules whose code builds cached products: the source model, the flag model and the rules
    (which cache per-file products of their own, e.g. uses of names and function indexes)."""
    return [Path(p) for p in _code_paths()]


def _code_paths() -> list[str]:
    package = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    found = [
        os.path.join(directory, name)
        for layer in ("source", "model", "rules")
        for directory, _, names in os.walk(os.path.join(package, layer))
        for name in names
        if name.endswith(".py")
    ]
    return sorted(found, key=lambda path: path.split(os.sep))  # as Paths sort: part by part


_saves: list[Callable[[], None]] | None = None  # saves held back (see `save_later`)


def save_later(save: Callable[[], None]) -> None:
    """Run `save` (a write to the cache) now, or after `defer_saves()` when `run_saves()` is called: a
    forked child saves while its value is sent (patchcheck.rules.forked)."""
    if _saves is None:
        save()
    else:
        _saves.append(save)


def save_at_end(save: Callable[[], None]) -> None:
    """Run `save` once the run's work is done: at exit (`run_end_saves`), or in a forked child with the
    saves it held back."""
    if _saves is None:
        _at_end.append(save)
    else:
        _saves.append(save)


_at_end: list[Callable[[], None]] = []


@atexit.register
def run_end_saves() -> None:
    """The saves asked for at the run's end, in order (at exit; a test ends a run by calling it)."""
    saves, _at_end[:] = list(_at_end), []
    for save in saves:
        _quietly(save)


def _quietly(save: Callable[[], None]) -> None:
    with contextlib.suppress(Exception):
        save()


def defer_saves() -> None:
    global _saves
    _saves = []


def run_saves() -> None:
    """The saves held back, in order; one that fails does not stop the others (the cache is optional)."""
    global _saves
    saves, _saves = _saves or [], None
    for save in saves:
        _quietly(save)


def digest(*parts: bytes | str) -> str:
    h = blake2b(digest_size=20)
    for part in parts:
        data = part.encode("utf-8", "surrogateescape") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def file_stamp(tree: SourceTree, path: str) -> str | None:
    """A cheap token that changes whenever the file's content may have changed (None: no such file).

    On a plain directory this is a stat (size, mtime, inode), so checking a warm cache reads no file.
    """
    if isinstance(tree, DirectoryTree):
        if path not in tree.stamps:
            tree.stamps[path] = _stat_stamp(tree, path)
        return tree.stamps[path]
    if isinstance(tree, OverlayTree) and path not in tree.changes:
        return file_stamp(tree.base, path)
    if isinstance(tree, GitRevisionTree):
        blob = tree.blob_id(path)
        return None if blob is None else "g" + blob
    data = tree.read_bytes(path)
    return None if data is None else "d" + digest(data)


def known_stamp(tree: SourceTree, path: str) -> str | None:
    """`file_stamp(tree, path)`, for comparing with a stamp taken before (~1,800 Kconfig files on every warm
    run): in a directory a regular file is stamped by one lstat of its whole path, without checking each
    directory on the way for a link out of the tree. A stat reads nothing, and a directory that became a
    link leads to other files with other stamps: a miss, after which everything is read as `file_stamp`
    and `read_bytes` check it. Recorded in `tree.stamps` as `file_stamp` records it (journaled with it)."""
    if isinstance(tree, DirectoryTree) and path not in tree.stamps and _plain(path):
        try:
            st = os.lstat(f"{tree.root}/{path}")
        except OSError:
            st = None
        if st is not None and stat.S_ISREG(st.st_mode):
            tree.stamps[path] = stat_stamp(st)
    return file_stamp(tree, path)


def _plain(path: str) -> bool:
    """A relative path that is its own normal form (a damaged cache entry's is stamped the careful way)."""
    try:
        return safe_relpath(path) == path
    except InputError:
        return False


def _stat_stamp(tree: DirectoryTree, path: str) -> str | None:
    st = tree.stat(path)  # None for a symlink out of the tree: it is not read, so it is no file of the tree
    return None if st is None else stat_stamp(st)


class DiskCache:
    """Plain-data values under ``<root>/<namespace>/<key>``."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else cache_root()

    def exists(self) -> bool:
        """Whether the cache directory is there (a run's last saves skip one removed since)."""
        return self.root is not None and self.root.is_dir()

    def _path(self, namespace: str, key: str) -> Path | None:
        if self.root is None:
            return None
        # One directory per namespace: a cold run writes ~100 entries, and a directory per key prefix cost
        # a mkdir for most of them (ext4 indexes large directories).
        return self.root / namespace / digest(code_digest(), key)

    def get(self, namespace: str, key: str, shape: Any = Any) -> Any:
        """The value stored under `key`, or None: absent, damaged, not of type `shape` (a type hint, checked
        deeply) or not a regular file."""
        payload = self._read(namespace, key)
        if payload is None:
            return None
        try:
            value = plaindata.loads(payload)
        except (plaindata.BadEntry, MemoryError):
            return None
        return value if shape is Any or plaindata.fits(value, shape) else None

    def put(self, namespace: str, key: str, value: Any) -> None:
        try:
            data = plaindata.dumps(value)
        except (TypeError, ValueError, RecursionError):
            return  # not plain data: not cached
        self._write(namespace, key, data)

    def get_with_blob(self, namespace: str, key: str) -> tuple[Any, bytes, int] | None:
        """A value stored with `put_with_blob`, the bytes read and where its blob starts in them (not copied:
        the caller slices what it needs)."""
        payload = self._read(namespace, key)
        newline = -1 if payload is None else payload.find(b"\n")
        if payload is None or newline < 0:
            return None
        try:
            return plaindata.loads(payload[:newline]), payload, newline + 1
        except (plaindata.BadEntry, MemoryError):
            return None

    def put_with_blob(self, namespace: str, key: str, value: Any, blob: bytes) -> None:
        """Plain data (one line: its JSON is ASCII with no raw newline) and then raw bytes, decoded by
        nothing when read back."""
        try:
            data = plaindata.dumps(value)
        except (TypeError, ValueError, RecursionError):
            return
        self._write(namespace, key, data + b"\n" + blob)

    def _read(self, namespace: str, key: str) -> bytes | None:
        path = self._path(namespace, key)
        if path is None:
            return None
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            return None
        try:
            with os.fdopen(fd, "rb") as fh:
                info = os.fstat(fh.fileno())
                if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_ENTRY:
                    return None
                if fh.readline(len(_HEADER) + 1) != _HEADER:
                    return None
                return fh.read()
        except (OSError, MemoryError):
            return None

    def _write(self, namespace: str, key: str, data: bytes) -> None:
        path = self._path(namespace, key)
        if path is None:
            return
        directory = str(path.parent)
        for _ in range(2):
            try:
                if directory not in _MADE:
                    os.makedirs(directory, exist_ok=True)
                    _MADE.add(directory)
                _write_atomically(directory, str(path), _HEADER + data)
                return
            except FileNotFoundError:  # the directory was removed since this run made it: once more
                _MADE.discard(directory)
            except OSError:
                return


# The entry directories (one a namespace) this process made or found.
_MADE: set[str] = set()
_TEMPORARY = itertools.count()


def _write_atomically(directory: str, path: str, data: bytes) -> None:
    """Write a file under a name no other writer uses (pid, a count and random bits: processes of other pid
    namespaces may share the cache), then rename it into place."""
    tmp = f"{directory}/.tmp-{os.getpid()}-{next(_TEMPORARY)}-{os.urandom(4).hex()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
