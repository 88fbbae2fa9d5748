"""Opening the tree a command reads: a directory, a git revision of one, or none at all."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from patchcheck.errors import InputError
from patchcheck.source.tree import DirectoryTree, EmptyTree, GitRevisionTree, SourceTree

# A tree holding none of these and none of the files a series touches is not a kernel tree.
FLAG_HEADER = "include/linux/mm.h"
KERNEL_MARKERS = ("Kconfig", FLAG_HEADER, "MAINTAINERS")


def open_tree(tree: Path | None, rev: str | None) -> SourceTree:
    """The tree to read: none, a directory, or a git revision of a repository (default: here)."""
    if rev is not None:
        return GitRevisionTree(tree or Path("."), rev)
    if tree is None:
        return EmptyTree()
    tree = tree.expanduser()
    if not tree.exists():
        raise InputError(f"tree {str(tree)!r} does not exist")
    return DirectoryTree(tree)


def open_flag_tree(tree: Path, rev: str | None = None) -> SourceTree:
    """A tree whose flags are read whole (audit, flags): it must hold include/linux/mm.h."""
    source = open_tree(tree, rev)
    if source.read_bytes(FLAG_HEADER) is None:
        raise InputError(f"{source.label} has no {FLAG_HEADER}: not a kernel tree")
    return source


def require_kernel_tree(tree: SourceTree, touched: Iterable[str] = ()) -> None:
    """Refuse a tree that cannot be the kernel the user meant. A partial tree is fine as long as it holds
    a kernel marker or one of the files the series touches."""
    if isinstance(tree, EmptyTree):
        return
    if any(tree.read_bytes(path) is not None for path in (*KERNEL_MARKERS, *touched)):
        return
    raise InputError(
        f"{tree.label} is not a kernel tree: it has no {', '.join(KERNEL_MARKERS)}"
        + (" and none of the files the series touches" if touched else "")
    )


def containment_notes(*trees: SourceTree) -> list[str]:
    """One note per symlink that leads out of a tree read here: it was not followed."""
    return outside_notes(outside_links(*trees))


def outside_links(*trees: SourceTree) -> dict[str, str]:
    """The symlinks out of these trees (and the trees under them) that reading met: path -> target."""
    outside: dict[str, str] = {}
    for tree in trees:
        while True:
            if isinstance(tree, DirectoryTree):
                outside.update(tree.outside)
            base = getattr(tree, "base", None)
            if base is None:
                break
            tree = base
    return outside


def outside_notes(outside: dict[str, str]) -> list[str]:
    """The notes for these symlinks out of a tree (path -> target)."""
    return [
        f"{path}: a symlink out of the tree (to {target}); not followed"
        for path, target in sorted(outside.items())
    ]
