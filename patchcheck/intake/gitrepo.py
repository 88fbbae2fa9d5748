"""Every question the intake asks a git repository, in one place (one process per question today; a
`git cat-file --batch` reader can replace the object reads without touching the callers).

Read-only by construction: no command here writes the work tree, the index, refs or the object store. git
runs with the repository-selecting variables of a hook's environment removed, so `root` is the repository
asked, whatever GIT_DIR the caller inherited.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from patchcheck.errors import InputError

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's well-known empty tree
_REPO_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_PREFIX",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
)
SEARCH_DEPTH = 2000  # commits of HEAD's history compared by subject before the patch-id confirms one
_OID = re.compile(r"^[0-9a-f]{4,64}$")


def clean_env() -> dict[str, str]:
    """The environment without the variables git exports to hooks that would redirect a child's git."""
    return {k: v for k, v in os.environ.items() if k not in _REPO_ENV}


def merge_file(ours: bytes, base: bytes, theirs: bytes) -> tuple[int, bytes]:
    """`git merge-file -p` on private temporary files (no repository involved): (conflicts, merged text);
    conflicts is negative when git failed."""
    with tempfile.TemporaryDirectory(prefix="patchcheck-merge-") as tmp:
        names = []
        for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
            (Path(tmp) / name).write_bytes(data)
            names.append(str(Path(tmp) / name))
        try:
            done = subprocess.run(
                ["git", "merge-file", "-p", "-q", *names], capture_output=True, check=False, env=clean_env()
            )
        except OSError as exc:
            raise InputError(f"cannot run git: {exc.strerror or exc}") from exc
    return done.returncode, done.stdout


def find_repo(path: Path) -> GitRepo | None:
    """The git repository whose work tree holds `path` (a directory), or None."""
    if not path.is_dir():
        return None
    repo = GitRepo(path)
    top = repo.text("rev-parse", "--show-toplevel")
    return GitRepo(Path(top)) if top else None


class GitRepo:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def run(self, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(
                ["git", "-C", str(self.root), *args],
                input=stdin,
                capture_output=True,
                check=False,
                env=clean_env(),
            )
        except OSError as exc:
            raise InputError(f"cannot run git: {exc.strerror or exc}") from exc

    def text(self, *args: str) -> str | None:
        """git's output, stripped, or None when git fails."""
        out = self.run(*args)
        return out.stdout.decode("utf-8", "surrogateescape").strip() if out.returncode == 0 else None

    def commit(self, rev: str) -> str | None:
        """The full id of commit `rev`, or None when the repository has no such commit."""
        if rev.startswith("-"):
            return None
        return self.text("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}") or None

    def parent(self, commit: str) -> str:
        """The first parent of `commit`, or the empty tree for a root commit."""
        return self.commit(f"{commit}^") or EMPTY_TREE

    def short(self, rev: str) -> str:
        return self.text("rev-parse", "--short", rev) or rev[:12]

    def patch_id(self, commit: str) -> str | None:
        """git's stable patch-id of the change `commit` made (the same id the intake computes from mail)."""
        shown = self.run("show", "--format=", "--no-color", "--no-ext-diff", commit)
        if shown.returncode != 0:
            return None
        out = self.run("patch-id", "--stable", stdin=shown.stdout)
        first = out.stdout.split(b" ", 1)[0].decode("ascii", "replace").strip()
        return first or None

    def commit_of_patch(self, title: str, patch_id: str, *, named: str | None = None) -> str | None:
        """The commit whose change has git's stable `patch_id`: the commit `named` (git format-patch's
        `From <sha>` line) when it is one, else one of HEAD's last SEARCH_DEPTH commits titled `title`."""
        if named is not None:
            commit = self.commit(named)
            if commit is not None and self.patch_id(commit) == patch_id:  # on any branch
                return commit
        subject = " ".join(title.split())
        if subject:
            for commit, logged in self.recent_commits(SEARCH_DEPTH):
                if logged.strip() == subject and self.patch_id(commit) == patch_id:
                    return commit
        return None

    def recent_commits(self, limit: int, rev: str = "HEAD") -> list[tuple[str, str]]:
        """(id, subject) of up to `limit` non-merge commits of `rev`'s history, newest first."""
        log = self.text("log", f"-n{limit}", "--no-merges", "--format=%H %s", rev, "--") or ""
        return [(line[:40], line[41:]) for line in log.splitlines() if len(line) > 40]

    def first_parents(self, rev: str, count: int) -> list[str]:
        """`rev` and its first-parent ancestors, newest first, at most `count`."""
        out = self.text("rev-list", "--first-parent", f"-n{count}", rev, "--") or ""
        return out.split()

    def descendants(self, commit: str, top: str = "HEAD") -> list[str]:
        """The first-parent chain from just after `commit` up to `top`, oldest first (empty when `commit`
        is not on that chain)."""
        out = self.text("rev-list", "--first-parent", "--reverse", f"{commit}..{top}", "--") or ""
        return out.split()

    def format_patch(self, base: str, top: str) -> bytes | None:
        """The commits base..top as one mbox, as `git format-patch --stdout` writes it (nothing written)."""
        revs = ["--root", top] if base == EMPTY_TREE else [f"{base}..{top}"]
        out = self.run("format-patch", "--stdout", "--no-signature", *revs)
        return out.stdout if out.returncode == 0 and out.stdout else None

    def blobs(self, oids: Iterable[str]) -> dict[str, str]:
        """Full ids of the blobs the object store has, keyed by the (possibly abbreviated) id asked for."""
        wanted = [oid for oid in dict.fromkeys(oids) if _OID.match(oid) and set(oid) != {"0"}]
        if not wanted:
            return {}
        out = self.run("cat-file", "--batch-check", stdin="".join(f"{oid}\n" for oid in wanted).encode())
        found: dict[str, str] = {}
        for oid, line in zip(wanted, out.stdout.decode("ascii", "replace").splitlines(), strict=False):
            parts = line.split()
            if len(parts) == 3 and parts[1] == "blob":
                found[oid] = parts[0]
        return found

    def read_blob(self, oid: str) -> bytes | None:
        out = self.run("cat-file", "blob", oid)
        return out.stdout if out.returncode == 0 else None

    def tree_blobs(self, rev: str, paths: Iterable[str]) -> dict[str, str]:
        """The blob id of each of `paths` in `rev` (paths the revision lacks are absent)."""
        listed = list(paths)
        out = self.run("ls-tree", "-z", "--full-tree", rev, "--", *listed)
        blobs: dict[str, str] = {}
        for entry in out.stdout.split(b"\0"):
            meta, _, name = entry.partition(b"\t")
            fields = meta.split()
            if name and len(fields) == 3 and fields[1] == b"blob":
                blobs[name.decode("utf-8", "surrogateescape")] = fields[2].decode("ascii")
        return blobs

    def path_history(
        self, paths: list[str], limit: int, rev: str = "HEAD"
    ) -> Iterator[tuple[str, dict[str, str]]]:
        """Walking back from `rev` along first parents, each commit that changed one of `paths` (at most
        `limit`), with the blob each changed path had BEFORE it ('' where the path did not exist)."""
        log = self.run(
            "log",
            "--first-parent",
            f"-n{limit}",
            "--raw",
            "--no-abbrev",
            "--no-renames",
            "--format=%x00%H",
            rev,
            "--",
            *paths,
        )
        for record in log.stdout.decode("utf-8", "surrogateescape").split("\0")[1:]:
            lines = record.strip("\n").split("\n")
            before: dict[str, str] = {}
            for line in lines[1:]:
                meta, _, name = line.partition("\t")
                fields = meta.split()
                if line.startswith(":") and len(fields) >= 5:
                    before[name] = "" if set(fields[2]) == {"0"} else fields[2]
            yield lines[0].strip(), before
