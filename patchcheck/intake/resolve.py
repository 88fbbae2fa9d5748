"""Which tree a series is checked against, and how that base was found.

With `--rev`, or a tree that is not the top of a git repository, the tree is read as given. When the tree
is a git repository and no revision is given, the base is looked for in this order, the first that the
whole series applies to winning:

1. already applied: the first patch is a recent commit of HEAD (same title and patch-id), so the series is
   checked at that commit's parent; or the series reverse-applies at HEAD, so it is checked at its parent
   (the commit before it, when that commit's files are exactly the reversed ones; else HEAD with the
   series undone in memory);
2. (a) the `base-commit:` trailer of a patch or of the cover letter, when the repository has that commit;
3. (b) the pre-image blob ids of the patches' `index` lines: a recent commit whose files have them all
   (the way b4 guesses a base, walking back at most HISTORY_LIMIT commits that touched those files), else,
   when the object store has every one of those blobs, the series applied to exactly those blobs and its
   change merged into the work tree (the 3-way route of `git am -3`, patchcheck.intake.rebase);
4. (c) the work tree as it stands, with `fuzz` lines of context allowed to differ (GNU patch's --fuzz).

Nothing is ever written: git only reads (rev-parse, ls-tree, log, cat-file), and every tree is read-only
(patchcheck.source.tree), the series applied in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from patchcheck.errors import InputError
from patchcheck.intake.apply import AppliedState, apply_series
from patchcheck.intake.diff import FilePatch
from patchcheck.intake.gitrepo import GitRepo, find_repo
from patchcheck.intake.rebase import rebase_series
from patchcheck.intake.reverse import reversed_series
from patchcheck.intake.series import Series
from patchcheck.source.tree import DirectoryTree, GitRevisionTree, SourceTree

HISTORY_LIMIT = 5000  # commits touching the series' files walked back when looking for its pre-image blobs
SUGGESTED_FUZZ = 2  # GNU patch's default: a hunk with 3 lines of context keeps one each side


@dataclass(frozen=True)
class Resolved:
    """The base a series was checked against, the series applied to it, and how the base was found."""

    tree: SourceTree
    states: list[AppliedState]
    route: str  # "given", "already-applied", "base-commit", "index-commit", "index-blobs", "worktree"
    base: str  # one line for the summary: what the base is and how it was found
    tried: tuple[str, ...] = field(default=())

    @property
    def fuzzed(self) -> list[str]:
        return [f"patch {s.patch.label}: {line}" for s in self.states for line in s.fuzzed]


def resolve(series: Series, tree: SourceTree, *, ignore_whitespace: bool = False, fuzz: int = 0) -> Resolved:
    """Apply `series` to the best base `tree` offers (see the module docstring). InputError naming the
    patch, the hunk, the bases tried and the option that would help when none works."""
    repo = _repository(tree)
    if repo is None:
        return _given(series, tree, ignore_whitespace, fuzz)
    return _Search(series, repo, tree, ignore_whitespace, fuzz).run()


def fit_strip_level(series: Series, tree: SourceTree) -> Series:
    """A diff read as -p0 whose paths the tree lacks, but has one level stripped (`diff -u
    linux/mm/f.c.orig linux/mm/f.c` run above the tree), is read as -p1 instead, as the tree says."""
    patches = []
    for patch in series.patches:
        files = patch.files
        if any(
            f.p1_path is not None
            and f.status != "added"
            and tree.read_bytes(f.path) is None
            and tree.read_bytes(f.p1_path) is not None
            for f in files
        ):
            files = tuple(_stripped(f) for f in files)
            patch = replace(patch, diff=replace(patch.diff, files=files))
        patches.append(patch)
    return replace(series, patches=patches)


def _stripped(file: FilePatch) -> FilePatch:
    if file.p1_path is None:
        return file
    return replace(
        file,
        p1_path=None,
        old_path=file.p1_path if file.old_path else None,
        new_path=file.p1_path if file.new_path else None,
    )


def _repository(tree: SourceTree) -> GitRepo | None:
    """The git repository `tree` is the work tree of (its top directory, not a directory inside it)."""
    if not isinstance(tree, DirectoryTree):
        return None
    repo = find_repo(tree.root)
    if repo is None or repo.root != tree.root or repo.commit("HEAD") is None:
        return None
    return repo


def _given(series: Series, tree: SourceTree, ignore_whitespace: bool, fuzz: int) -> Resolved:
    how = "the revision asked for" if isinstance(tree, GitRevisionTree) else "the directory as it stands"
    try:
        states = apply_series(series, tree, ignore_whitespace=ignore_whitespace, fuzz=fuzz)
    except InputError as exc:
        raise _failure(exc, series, tree, [how], ignore_whitespace, fuzz, None) from None
    return Resolved(tree, states, "given", how)


class _Search:
    def __init__(
        self, series: Series, repo: GitRepo, worktree: SourceTree, ignore_whitespace: bool, fuzz: int
    ) -> None:
        self.series, self.repo, self.worktree = series, repo, worktree
        self.ignore_whitespace, self.fuzz = ignore_whitespace, fuzz
        self.tried: list[str] = []
        self.stored: dict[str, str] = {}  # pre-image blob ids the object store has (set by index_commit)

    def run(self) -> Resolved:
        routes = (self.committed, self.already_applied, self.base_commit, self.index_commit, self.index_blobs)
        for route in routes:
            found = route()
            if found is not None:
                return found
        try:
            states = self.apply(self.worktree, self.fuzz)
        except InputError as exc:
            self.tried.append(f"the work tree {self.worktree.label}")
            raise _failure(
                exc, self.series, self.worktree, self.tried, self.ignore_whitespace, self.fuzz, self.repo
            ) from None
        return Resolved(
            self.worktree,
            states,
            "worktree",
            f"the work tree {self.worktree.label} (no better base found: " + "; ".join(self.tried) + ")",
            tuple(self.tried),
        )

    def apply(self, tree: SourceTree, fuzz: int = 0) -> list[AppliedState]:
        return apply_series(self.series, tree, ignore_whitespace=self.ignore_whitespace, fuzz=fuzz)

    def attempt(self, tree: SourceTree, route: str, base: str, failed: str) -> Resolved | None:
        try:
            states = self.apply(tree)
        except InputError as exc:
            self.tried.append(f"{failed} ({exc.message.split(': ', 1)[-1]})")
            return None
        return Resolved(tree, states, route, base, tuple(self.tried))

    def revision(self, commit: str) -> GitRevisionTree:
        return GitRevisionTree(self.repo.root, commit)

    def committed(self) -> Resolved | None:
        """The series' first patch is a commit of HEAD's recent history (same title, same patch-id): the
        series is checked at that commit's parent, the tree it was made for."""
        first = self.series.patches[0] if self.series.patches else None
        if first is None or first.patch_id is None or first.reconstructed_from_quote:
            return None
        commit = self.repo.commit_of_patch(first.title, first.patch_id)
        if commit is None:
            return None
        parent = self.repo.parent(commit)
        return self.attempt(
            self.revision(parent),
            "already-applied",
            f"{self.repo.short(parent)}: patch {first.label} is commit {self.repo.short(commit)} of HEAD's "
            "history (same title and patch-id), so the series is checked at its parent",
            f"the parent of commit {self.repo.short(commit)}",
        )

    def already_applied(self) -> Resolved | None:
        head = self.revision("HEAD")
        try:
            undone = apply_series(
                reversed_series(self.series), head, ignore_whitespace=self.ignore_whitespace
            )
        except InputError:
            self.tried.append("HEAD (the series is not already applied there)")
            return None
        before = undone[-1].tree if undone else head
        count = len(self.series.patches)
        parents = self.repo.first_parents("HEAD", count + 1)
        paths = {path for state in undone for path in state.changes} | {
            f.old_path for s in undone for f in s.patch.files if f.old_path
        }
        if len(parents) == count + 1:
            parent = self.revision(parents[-1])
            if all(parent.read_bytes(p) == before.read_bytes(p) for p in paths):
                short = self.repo.short(parents[-1])
                return self.attempt(
                    parent,
                    "already-applied",
                    f"{short}, HEAD~{count}: the series is already "
                    f"applied at HEAD, so it is checked at its parent",
                    "HEAD's parent",
                )
        return self.attempt(
            before,
            "already-applied",
            "HEAD with the series undone in memory: the series is already applied at HEAD",
            "HEAD with the series undone",
        )

    def base_commit(self) -> Resolved | None:
        named = self.series.base_commit
        if named is None:
            self.tried.append("no base-commit trailer")
            return None
        commit = self.repo.commit(named)
        if commit is None:
            self.tried.append(f"base-commit {named[:12]} (not in the repository)")
            return None
        where = "a patch" if any(p.base_commit for p in self.series.patches) else "the cover letter"
        return self.attempt(
            self.revision(commit),
            "base-commit",
            f"{self.repo.short(commit)} (base-commit: trailer of {where})",
            f"base-commit {named[:12]}",
        )

    def preimage_blobs(self) -> dict[str, str]:
        """path -> pre-image blob id (as abbreviated in the diff) of each file, at its first patch."""
        wanted: dict[str, str] = {}
        seen: set[str] = set()
        for patch in self.series.patches:
            for file in patch.files:
                if file.old_path is None or file.old_path in seen:
                    continue
                seen.add(file.old_path)
                if file.old_blob is not None:
                    wanted[file.old_path] = file.old_blob
        return wanted

    def index_commit(self) -> Resolved | None:
        wanted = self.preimage_blobs()
        if not wanted:
            self.tried.append("no pre-image blob in index lines")
            return None
        self.stored = self.repo.blobs(wanted.values())
        missing = [path for path, blob in wanted.items() if blob not in self.stored]
        if missing:  # no commit can have a blob the object store lacks: no history walk
            self.tried.append(
                f"{len(wanted) - len(missing)} of {len(wanted)} pre-image blobs of the index lines in the "
                f"object store (missing: {', '.join(missing[:3])})"
            )
            return None
        paths = sorted(wanted)

        def matches(state: dict[str, str]) -> bool:
            return all(state.get(path, "").startswith(blob) for path, blob in wanted.items())

        state = self.repo.tree_blobs("HEAD", paths)
        found = "HEAD" if matches(state) else None
        walked = 0
        if found is None:
            for commit, before in self.repo.path_history(paths, HISTORY_LIMIT):
                walked += 1
                state.update(before)
                if matches(state):
                    found = self.repo.parent(commit)
                    break
        if found is None:
            self.tried.append(
                f"no commit with the index lines' blobs in the last {walked} commits touching "
                f"{len(paths)} file{'s' if len(paths) != 1 else ''}"
            )
            return None
        commit = self.repo.commit(found) or found
        return self.attempt(
            self.revision(commit),
            "index-commit",
            f"{self.repo.short(commit)} (the newest commit whose files have the pre-image blobs of "
            "the patches' index lines)",
            f"commit {self.repo.short(commit)}",
        )

    def index_blobs(self) -> Resolved | None:
        wanted = self.preimage_blobs()
        if not wanted or len(self.stored) < len(set(wanted.values())):
            return None
        found = self.stored
        contents: dict[str, bytes] = {}
        for path, blob in wanted.items():
            data = self.repo.read_blob(found[blob])
            if data is None:
                self.tried.append(f"the pre-image blob of {path} (unreadable)")
                return None
            contents[path] = data
        try:
            rebased = rebase_series(self.series, self.worktree, contents)
            states = apply_series(rebased, self.worktree, ignore_whitespace=self.ignore_whitespace)
        except InputError as exc:
            self.tried.append(f"the pre-image blobs merged 3-way ({exc.message})")
            return None
        files = f"{len(contents)} file{'s' if len(contents) != 1 else ''}"
        return Resolved(
            self.worktree,
            states,
            "index-blobs",
            f"the work tree {self.worktree.label}, the series "
            f"merged in 3-way from the pre-image blobs of its index lines ({files}), as git am -3 does",
            tuple(self.tried),
        )


def _failure(
    exc: InputError,
    series: Series,
    tree: SourceTree,
    tried: list[str],
    ignore_whitespace: bool,
    fuzz: int,
    repo: GitRepo | None,
) -> InputError:
    """One line: the patch and hunk that failed (from `exc`), the bases tried, and what would help."""
    help_ = _what_would_help(series, tree, ignore_whitespace, fuzz, repo)
    line = f"{exc.message}; bases tried: {'; '.join(tried)}"
    return InputError(f"{line}; {help_}" if help_ else line, details=exc.details)


def _what_would_help(
    series: Series, tree: SourceTree, ignore_whitespace: bool, fuzz: int, repo: GitRepo | None
) -> str:
    if _applies(reversed_series(series), tree, ignore_whitespace, 0):
        return "the series is already applied there: check it at the revision before it (--rev)"
    for more in range(fuzz + 1, SUGGESTED_FUZZ + 1):  # the least fuzz that does
        if _applies(series, tree, ignore_whitespace, more):
            return f"--fuzz {more} applies it (check the fuzzed hunks by hand)"
    if not ignore_whitespace and _applies(series, tree, True, fuzz):
        return "--ignore-whitespace applies it"
    if series.base_commit and (repo is None or repo.commit(series.base_commit) is None):
        return f"fetch its base-commit {series.base_commit[:12]} into the tree's repository"
    return "give --rev with the revision the series was written for"


def _applies(series: Series, tree: SourceTree, ignore_whitespace: bool, fuzz: int) -> bool:
    try:
        apply_series(series, tree, ignore_whitespace=ignore_whitespace, fuzz=fuzz)
    except InputError:
        return False
    return True
