"""Read-only views of a kernel tree: a directory, a git revision, or a tree with a series applied in memory.

Every path is a relative POSIX path such as ``include/linux/mm.h``. Nothing here ever writes to the tree.
"""

from __future__ import annotations

import bisect
import errno
import itertools
import os
import posixpath
import stat
import subprocess
import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Protocol

from patchcheck.errors import InputError
from patchcheck.source.journal import Journal
from patchcheck.source.search import Search
from patchcheck.source.search import digest as search_digest


def safe_relpath(path: str) -> str:
    """Return `path` normalised, or raise InputError if it is absolute or climbs out of the tree."""
    # A plain path (what the rules ask for, thousands of times a run) is its own normal form.
    if path and "\0" not in path and path[0] not in "/\\" and path[-1] != "/" and "//" not in path:
        wrapped = f"/{path}/"
        if "/./" not in wrapped and "/../" not in wrapped:
            return path
    if not path or "\0" in path:
        raise InputError(f"unusable path {path!r}")
    pure = PurePosixPath(path)
    if pure.is_absolute() or path.startswith("\\"):
        raise InputError(f"refusing absolute path {path!r}")
    if any(part == ".." for part in pure.parts):
        raise InputError(f"refusing path with '..': {path!r}")
    normal = str(pure)
    if normal in ("", "."):
        raise InputError(f"unusable path {path!r}")
    return normal


def stat_stamp(st: os.stat_result) -> str:
    """A cheap token that changes whenever a file's content may have changed: size, mtime, inode."""
    return f"s{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def decode_source(data: bytes) -> str:
    """Kernel sources are UTF-8 but a few files are not; never fail on them."""
    return data.decode("utf-8", errors="surrogateescape")


class SourceTree(Protocol):
    """What the source model and the rules may ask of a tree."""

    @property
    def label(self) -> str:
        """A short human description, e.g. the directory or 'DIR at REV'."""
        ...

    def read_bytes(self, path: str) -> bytes | None:
        """The file's content, or None when the tree has no such file."""
        ...

    def list_files(self, prefix: str = "") -> Iterator[str]:
        """Every file below `prefix` (a directory path, '' for all), in no particular order."""
        ...


def read_text(tree: SourceTree, path: str) -> str | None:
    data = tree.read_bytes(path)
    return None if data is None else decode_source(data)


class DirectoryTree:
    """A tree on disk: a plain directory or a git work tree as it stands.

    Every read stays inside the root: a symlink (to a file or a directory) that leads out of it is not
    followed, and is recorded in `outside` (path -> target) for the command to report once. Only regular
    files are read (a FIFO or a device is absent, never waited on). A file that exists but cannot be read is
    an InputError naming it, never "absent"."""

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise InputError(f"tree {str(root)!r} is not a directory")
        self.root = root.resolve()
        self._root = str(self.root)
        self._dirs: dict[str, bool] = {}  # directory -> resolves inside the root
        self.outside: dict[str, str] = {}
        self.links: set[str] = set()  # symlinks met on the way to what was read (journaled with it)
        # Cache stamps (patchcheck.source.cache.file_stamp) taken once: one run reads the tree as it was when
        # the run began, and the states of a series stat the same ~1800 Kconfig files.
        self.stamps: dict[str, str | None] = {}
        # What this run asked of the tree, when a caller keeps its results (patchcheck.source.journal).
        self.journal: Journal | None = None

    @property
    def label(self) -> str:
        return str(self.root)

    def _within(self, real: str) -> bool:
        return real == self._root or real.startswith(self._root.rstrip("/") + "/")

    def contains(self, rel: str) -> bool:
        """Whether `rel` (and every directory on the way) resolves inside the root; a way out is recorded."""
        parent = posixpath.dirname(rel)
        if parent and not self._dir_inside(parent):
            return False
        full = os.path.join(self._root, rel)
        if os.path.islink(full):
            self.links.add(rel)
            if not self._within(os.path.realpath(full)):
                self.outside.setdefault(rel, os.readlink(full))
                return False
        return True

    def stat(self, rel: str) -> os.stat_result | None:
        """The stat of `rel`, or None when it is absent or leads out of the tree (as `contains`): one lstat
        for a file that is no symlink."""
        parent = posixpath.dirname(rel)
        if parent and not self._dir_inside(parent):
            return None
        full = os.path.join(self._root, rel)
        try:
            found = os.lstat(full)
            if stat.S_ISLNK(found.st_mode):
                return os.stat(full) if self.contains(rel) else None
        except OSError:
            return None
        return found

    def _dir_inside(self, rel_dir: str) -> bool:
        known = self._dirs.get(rel_dir)
        if known is None:
            parent = posixpath.dirname(rel_dir)
            known = self._dir_inside(parent) if parent else True
            full = os.path.join(self._root, rel_dir)
            if known and os.path.islink(full):
                self.links.add(rel_dir)
                if not self._within(os.path.realpath(full)):
                    self.outside.setdefault(rel_dir, os.readlink(full))
                    known = False
            self._dirs[rel_dir] = known
        return known

    def read_bytes(self, path: str) -> bytes | None:
        rel = safe_relpath(path)
        if self.journal is not None:
            self.journal.files.add(rel)
        parent = posixpath.dirname(rel)
        if parent and not self._dir_inside(parent):
            return None
        # Opened without following a final symlink: the common file costs no lstat. A symlink (ELOOP) is
        # opened again once `contains` has found where it leads.
        fd = self._open(rel, os.O_NOFOLLOW)
        if fd == -errno.ELOOP:
            fd = self._open(rel, 0) if self.contains(rel) else -1
        if fd < 0:
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                return None
            # the stamp of what is read, as `stat` would give it (patchcheck.source.cache.file_stamp)
            self.stamps.setdefault(rel, stat_stamp(st))
            # One read of the size fstat gave and a byte more: all it promised and nothing after is the whole
            # file (saving the read that would find its end); a file that grew or a short read reads on.
            first = os.read(fd, st.st_size + 1)
            if len(first) == st.st_size:
                return first
            chunks = [first]
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
            return b"".join(chunks)
        except OSError as exc:
            raise InputError(f"{self._root}/{rel}: cannot read: {exc.strerror or exc}") from exc
        finally:
            os.close(fd)

    def _open(self, rel: str, flags: int) -> int:
        """A descriptor of `rel`, -ELOOP for a symlink (with O_NOFOLLOW) or a loop, -1 when there is no such
        file; InputError when it exists but cannot be opened."""
        try:
            return os.open(f"{self._root}/{rel}", os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | flags)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return -1
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return -errno.ELOOP
            raise InputError(f"{self._root}/{rel}: cannot read: {exc.strerror or exc}") from exc

    def list_files(self, prefix: str = "") -> Iterator[str]:
        head = safe_relpath(prefix) if prefix else ""
        if self.journal is not None:
            self.journal.dirs.add(head)
        if head and not (self._dir_inside(head) and os.path.isdir(os.path.join(self._root, head))):
            return
        base = os.path.join(self._root, head) if head else self._root
        root_len = len(self._root.rstrip("/")) + 1

        def unreadable(exc: OSError) -> None:
            raise InputError(f"{exc.filename}: cannot read the directory: {exc.strerror or exc}")

        # os.walk does not descend into directory symlinks: a link out of the tree is never walked.
        for dirpath, dirnames, filenames in os.walk(base, onerror=unreadable):
            dirnames[:] = [d for d in dirnames if d != ".git"]
            rel = dirpath[root_len:]
            if self.journal is not None:
                self.journal.dirs.add(rel)
            for name in filenames:
                yield f"{rel}/{name}" if rel else name

    def search_roots(self, dirs: Sequence[str]) -> list[str]:
        """The directories among `dirs` a search outside `read_bytes` (grep -r, patchcheck.source.search) may
        be given: those that exist inside the tree (a symlink out of it is noted, never searched). What
        the search finds is journaled by its maker (`searched`)."""
        plain = [safe_relpath(d) for d in dirs]  # InputError for one that is absolute or climbs out
        return [d for d in plain if self.contains(d) and os.path.isdir(os.path.join(self._root, d))]

    def searched(self, search: Search, found: set[str] | None) -> None:
        """Journal a search (patchcheck.source.search) made of the directories `search_roots` gave, and what
        it found (None: it failed)."""
        if self.journal is not None:
            self.journal.searched(search, None if found is None else search_digest(found))

    def journaled(self) -> Journal:
        """What the run asked of the tree (files it stamped included); empty when nothing is journaled."""
        if self.journal is None:
            return Journal()
        self.journal.files.update(self.stamps)
        self.journal.files.update(self.links)
        # A stamp taken by fstat or lstat of a file that is no symlink is what `journal` would stamp it with.
        self.journal.stamped.update(
            (path, found[1:])
            for path, found in self.stamps.items()
            if found is not None and found[0] == "s" and path not in self.links
        )
        return self.journal


class GitRevisionTree:
    """Files of a git revision, read with git itself (no checkout, nothing written)."""

    def __init__(self, root: Path, rev: str) -> None:
        self.root = root.resolve()
        self.rev = rev
        # --end-of-options: a revision such as '--output=x' is a name to look up, never an option.
        commit = self._git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{tree}}")
        if commit is None:
            if self._git("rev-parse", "--git-dir") is None:
                raise InputError(f"--rev needs a git repository: {str(root)!r} is not in one")
            raise InputError(f"{rev!r} is not a revision of the git repository {str(root)!r}")
        # --tree may name a directory inside the repository: read that directory of the revision.
        prefix = (self._git("rev-parse", "--show-prefix") or "").strip().rstrip("/")
        subtree = (
            self._git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}:{prefix}")
            if prefix
            else commit
        )
        if subtree is None or self._git("cat-file", "-t", subtree.strip()) != "tree\n":
            raise InputError(f"{prefix!r} is not a directory of the git repository at {rev!r}")
        self.tree_id = subtree.strip()
        self._files: dict[str, str] | None = None  # path -> blob id, from one `git ls-tree`
        self._sorted: list[str] | None = None  # the same paths, sorted: a directory's files are a range
        self._reader: CatFile | None = None  # one `git cat-file --batch` for every blob read
        self._fetched: dict[str, bytes] = {}  # blobs read ahead by `prefetch`

    @property
    def label(self) -> str:
        return f"{self.root} at {self.rev}"

    def _git(self, *args: str) -> str | None:
        """git's output in the tree's directory, or None when it fails."""
        try:
            out = subprocess.run(
                ["git", "-C", str(self.root), *args], capture_output=True, check=False, text=True
            )
        except OSError as exc:
            raise InputError(f"cannot run git: {exc}") from exc
        return out.stdout if out.returncode == 0 else None

    def _all_files(self) -> dict[str, str]:
        """Every file of the revision and its blob id, from one `git ls-tree` (kept on disk by tree id: a
        tree id names its listing for good)."""
        if self._files is None:
            from patchcheck.source.cache import DiskCache  # the cache module builds on this one

            cache = DiskCache()
            files = cache.get("git-ls-tree", self.tree_id, dict[str, str])
            if not isinstance(files, dict):
                out = subprocess.run(
                    ["git", "-C", str(self.root), "ls-tree", "--full-tree", "-r", "-z", self.tree_id],
                    capture_output=True,
                    check=True,
                )
                files = {}
                # One decode of the whole listing, then str splits: ~85k entries of "MODE TYPE ID\tPATH".
                for entry in out.stdout.decode("utf-8", "surrogateescape").split("\0"):
                    meta, _, name = entry.partition("\t")
                    # git writes every mode with six digits: "100644 blob ID" (a submodule is a "commit")
                    if name and meta[6:12] == " blob ":
                        files[name] = meta[12:]
                cache.put("git-ls-tree", self.tree_id, files)
            self._files = files
        return self._files

    def blob_id(self, path: str) -> str | None:
        """The git object id of a file: a stamp that changes exactly when its content does."""
        files = self._all_files()
        found = files.get(path)  # git's own paths are normal: one found needs no checking
        return found if found is not None else files.get(safe_relpath(path))

    def read_bytes(self, path: str) -> bytes | None:
        blob = self.blob_id(path)
        if blob is None:
            return None
        fetched = self._fetched.pop(blob, None)
        if fetched is not None:
            return fetched
        data = self._cat_file().read(blob)
        if data is None:  # listed in the revision, yet not readable: never taken for an absent file
            raise InputError(
                f"{self.label}: {path}: git object {blob} cannot be read (missing from the "
                "object store, e.g. a partial clone)"
            )
        return data

    def read_object(self, object_id: str) -> bytes | None:
        """A blob of the repository by its id (e.g. an older version of a file, from a stamp)."""
        return self._cat_file().read(object_id)

    def prefetch(self, paths: Iterable[str]) -> None:
        """Read these files in one round trip to git; each is then handed out once by `read_bytes`."""
        files = self._all_files()
        blobs = [b for p in paths if (b := files.get(p)) is not None and b not in self._fetched]
        self._fetched.update(self._cat_file().read_many(blobs))

    def _cat_file(self) -> CatFile:
        if self._reader is None:
            self._reader = CatFile(self.root)
        return self._reader

    def list_files(self, prefix: str = "") -> Iterator[str]:
        head = safe_relpath(prefix) + "/" if prefix else ""
        if self._sorted is None:
            self._sorted = sorted(self._all_files())
        paths = self._sorted
        start = bisect.bisect_left(paths, head)
        return itertools.takewhile(lambda p: p.startswith(head), itertools.islice(paths, start, None))


class CatFile:
    """One `git cat-file --batch` process answering every object read of a run (instead of a process per
    file). Thread-safe; the process ends with the object or at exit."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._lock = threading.Lock()
        self._owner = os.getpid()
        self._proc = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        try:
            proc = subprocess.Popen(
                ["git", "-C", str(self._root), "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError as exc:
            raise InputError(f"cannot run git: {exc}") from exc
        weakref.finalize(self, _close, proc, os.getpid())
        return proc

    def read(self, object_id: str) -> bytes | None:
        return self.read_many([object_id]).get(object_id)

    def read_many(self, object_ids: list[str]) -> dict[str, bytes]:
        """The blobs among `object_ids`: every request written at once (by a thread, so that neither side
        waits on a full pipe), then every answer read."""
        if self._owner != os.getpid():  # a forked child (patchcheck.rules.forked): its own git, never ours
            self._owner, self._proc = os.getpid(), self._start()
        proc = self._proc
        assert proc.stdin is not None and proc.stdout is not None
        stdin, stdout = proc.stdin, proc.stdout
        found: dict[str, bytes] = {}
        with self._lock:

            def ask() -> None:
                try:
                    stdin.write(b"".join(o.encode("ascii") + b"\n" for o in object_ids))
                    stdin.flush()
                except OSError:
                    pass

            writer = threading.Thread(target=ask, daemon=True)
            if len(object_ids) > 64:  # a long request could fill the pipe before git's answers are read
                writer.start()
            else:
                ask()
            try:
                for object_id in object_ids:
                    header = stdout.readline().split()
                    if len(header) == 2 and header[1] == b"missing":
                        continue
                    if len(header) != 3:
                        raise ValueError("git cat-file answered out of step")
                    size = int(header[2])
                    data = stdout.read(size)
                    stdout.read(1)  # the newline after the content
                    if header[1] == b"blob" and len(data) == size:
                        found[object_id] = data
            except (OSError, ValueError):  # the stream is out of step: a new process for what follows
                _close(proc, self._owner)
                self._proc = self._start()
            if writer.is_alive() or writer.ident is not None:
                writer.join()
        return found


def _close(proc: subprocess.Popen[bytes], owner: int) -> None:
    if os.getpid() != owner:
        return  # a forked child's copy of the parent's process: the parent ends it
    if proc.stdin is not None:
        proc.stdin.close()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()


class EmptyTree:
    """No tree at all: verify without --tree sees only what the diffs show."""

    label = "(no tree)"

    def read_bytes(self, path: str) -> bytes | None:
        return None

    def list_files(self, prefix: str = "") -> Iterator[str]:
        return iter(())


NO_TREE = EmptyTree()


class OverlayTree:
    """`base` with some files replaced (bytes) or deleted (None): the tree after applying patches."""

    def __init__(self, base: SourceTree, changes: Mapping[str, bytes | None]) -> None:
        self.base = base
        self.changes = dict(changes)

    @property
    def label(self) -> str:
        return f"{self.base.label} (+{len(self.changes)} changed files)"

    def read_bytes(self, path: str) -> bytes | None:
        path = safe_relpath(path)
        if path in self.changes:
            return self.changes[path]
        return self.base.read_bytes(path)

    def list_files(self, prefix: str = "") -> Iterator[str]:
        head = safe_relpath(prefix) + "/" if prefix else ""
        for path in self.base.list_files(prefix):
            if path not in self.changes:
                yield path
        for path, data in self.changes.items():
            if data is not None and path.startswith(head):
                yield path


class DiffTree(OverlayTree):
    """What diffs show of each file (verify without a tree): the text with unshown lines blank, and per
    file the numbers of the lines the hunks show (a blank line may be shown or unknown)."""

    def __init__(self, changes: Mapping[str, bytes | None], shown: Mapping[str, frozenset[int]]) -> None:
        # One empty base for every diff tree: what is built per base (Kconfig facts, a SAT solver) once.
        super().__init__(NO_TREE, changes)
        self.shown = dict(shown)
