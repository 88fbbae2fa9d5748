"""The stamps a warm run compares with those of the run before (patchcheck.source.cache.known_stamp): the
same as file_stamp's, by one lstat of a regular file's whole path; a file reached through a directory link
out of the tree gets a stamp of its own there (so the comparison misses, and everything is read again)."""

from __future__ import annotations

import os
from pathlib import Path

from patchcheck.source.cache import file_stamp, known_stamp
from patchcheck.source.tree import DirectoryTree


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "mm" / "deep").mkdir(parents=True)
    (root / "mm" / "Kconfig").write_text("config MMU\n\tbool\n")
    (root / "mm" / "deep" / "Kconfig").write_text("config DEEP\n\tbool\n")
    (root / "inside").symlink_to("mm")  # a directory link within the tree
    (root / "mm" / "Kconfig.link").symlink_to("Kconfig")  # a file link
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Kconfig").write_text("config OUT\n\tbool\n")
    (root / "away").symlink_to(outside)
    return root


PATHS = ["mm/Kconfig", "mm/deep/Kconfig", "inside/Kconfig", "mm/Kconfig.link", "mm/absent", "absent/Kconfig"]


def test_a_known_stamp_is_file_stamps_stamp(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    for path in PATHS:
        assert known_stamp(DirectoryTree(root), path) == file_stamp(DirectoryTree(root), path), path


def test_it_is_recorded_as_file_stamp_records_it(tmp_path: Path) -> None:
    tree = DirectoryTree(_tree(tmp_path))
    for path in PATHS:
        known_stamp(tree, path)
    assert set(tree.stamps) == set(PATHS)  # the audit memo journals what was stamped
    assert all(tree.stamps[p] == file_stamp(DirectoryTree(tree.root), p) for p in PATHS)


def test_a_file_through_a_link_out_of_the_tree_is_no_match_for_its_absence(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    assert file_stamp(DirectoryTree(root), "away/Kconfig") is None  # not a file of the tree
    assert known_stamp(DirectoryTree(root), "away/Kconfig") is not None  # so a stamp taken as None misses
    assert DirectoryTree(root).read_bytes("away/Kconfig") is None  # and it is never read


def test_a_damaged_path_is_stamped_the_careful_way(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    os.symlink(tmp_path / "outside" / "Kconfig", tmp_path / "sibling")
    tree = DirectoryTree(root)
    assert known_stamp(tree, "mm/../../sibling") == file_stamp(DirectoryTree(root), "mm/../../sibling")
