"""A small on-disk cache for derived products of source files (parses, Kconfig scans, flag models).

Entries are keyed by a namespace and a content digest, never by path alone, so an edited file can never be
served a stale product. The cache lives in ``${PATCHCHECK_CACHE:-~/.cache/patchcheck}/parse/v<N>``; bump
`CACHE_VERSION` whenever a cached product changes shape. ``PATCHCHECK_CACHE=off`` disables it.
Every failure to read or write the cache is silent: the cache may only ever make things faster.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

from patchcheck.source.tree import DirectoryTree, GitRevisionTree, OverlayTree, SourceTree

CACHE_VERSION = 3


def cache_root() -> Path | None:
    configured = os.environ.get("PATCHCHECK_CACHE")
    if configured == "off":
        return None
    base = Path(configured) if configured else Path.home() / ".cache" / "patchcheck"
    return base / "parse" / f"v{CACHE_VERSION}"


_CODE_DIGEST: str | None = None


def code_digest() -> str:
    """A digest of the code that builds cached products, part of every key: an upgrade never reads a
    product built by older code."""
    global _CODE_DIGEST
    if _CODE_DIGEST is None:
        _CODE_DIGEST = digest(str(CACHE_VERSION), *(p.read_bytes() for p in code_files()))
    return _CODE_DIGEST


def code_files() -> list[Path]:
    """The modules whose code builds cached products: the source model, the flag model and the rules
    (which cache per-file products of their own, e.g. uses of names and function indexes)."""
    package = Path(__file__).resolve().parents[1]
    return sorted(p for layer in ("source", "model", "rules") for p in (package / layer).rglob("*.py"))


def digest(*parts: bytes | str) -> str:
    h = hashlib.blake2b(digest_size=20)
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
        if not tree.contains(path):
            return None  # a symlink out of the tree is not read, so it is no file of the tree
        try:
            st = os.stat(f"{tree.root}/{path}")
        except OSError:
            return None
        return f"s{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"
    if isinstance(tree, OverlayTree) and path not in tree.changes:
        return file_stamp(tree.base, path)
    if isinstance(tree, GitRevisionTree):
        blob = tree.blob_id(path)
        return None if blob is None else "g" + blob
    data = tree.read_bytes(path)
    return None if data is None else "d" + digest(data)


class DiskCache:
    """Pickled values under ``<root>/<namespace>/<key[:2]>/<key>``."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else cache_root()

    def _path(self, namespace: str, key: str) -> Path | None:
        if self.root is None:
            return None
        key = digest(code_digest(), key)
        return self.root / namespace / key[:2] / key

    def get(self, namespace: str, key: str) -> Any:
        path = self._path(namespace, key)
        if path is None:
            return None
        try:
            with path.open("rb") as fh:
                return pickle.load(fh)
        except Exception:  # a damaged entry can raise almost anything (ValueError, IndexError, ...): a miss
            return None

    def put(self, namespace: str, key: str, value: Any) -> None:
        path = self._path(namespace, key)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except OSError:
            return
