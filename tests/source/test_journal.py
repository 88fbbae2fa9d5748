"""patchcheck.source.journal: what a run read of a directory, and whether a later run would read the same."""

from __future__ import annotations

import os
import time
from pathlib import Path

from patchcheck.source import search as grep
from patchcheck.source.journal import Journal, stamp
from patchcheck.source.tree import DirectoryTree

HOUR_NS = 3600 * 10**9


def aged(root: Path) -> Path:
    """Every file and directory below `root` last modified an hour ago, as a tree long at rest is."""
    then = time.time_ns() - HOUR_NS
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        for name in [*filenames, *dirnames]:
            os.utime(os.path.join(dirpath, name), ns=(then, then), follow_symlinks=False)
    os.utime(root, ns=(then, then))
    return root


def small_tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "mm" / "sub").mkdir(parents=True)
    (root / "include" / "linux").mkdir(parents=True)
    (root / "mm" / "memory.c").write_text("int memory;\n")
    (root / "mm" / "sub" / "deep.c").write_text("int deep;\n")
    (root / "include" / "linux" / "mm.h").write_text("#define VM_READ 1\n")
    (root / "README").write_text("a tree\n")
    return aged(root)


WORDS = ("memory", "deep")
SEARCH = (WORDS, ("mm",), (".c", ".h"))


def journal_of(root: Path) -> Journal:
    """A run that reads mm.h, stamps README, asks for an absent file, lists include/, greps mm/ for WORDS."""
    tree = DirectoryTree(root)
    tree.journal = Journal()
    assert tree.read_bytes("include/linux/mm.h") is not None
    assert tree.read_bytes("include/linux/absent.h") is None
    tree.stamps["README"] = "whatever a stamp was"
    assert sorted(tree.list_files("include")) == ["include/linux/mm.h"]
    present = tree.search_roots(["mm"])
    assert present == ["mm"]
    found, complete = grep.listing(grep.start(root, WORDS, present, (".c", ".h")), (".c", ".h"))
    assert complete and found == {"mm/memory.c", "mm/sub/deep.c"}
    tree.searched(SEARCH, found)
    return tree.journaled()


def test_the_journal_names_what_was_read_listed_stamped_and_searched(tmp_path: Path) -> None:
    journal = journal_of(small_tree(tmp_path))
    assert journal.files == {"include/linux/mm.h", "include/linux/absent.h", "README"}
    assert journal.dirs == {"include", "include/linux"}
    assert journal.searches == {SEARCH: grep.digest(["mm/memory.c", "mm/sub/deep.c"])}


def test_nothing_changed_holds(tmp_path: Path) -> None:
    root = small_tree(tmp_path)
    stamps = stamp(root, journal_of(root), since_ns=time.time_ns())
    assert stamps is not None and stamps.hold(root)
    (root / "Documentation").mkdir()  # nothing the run asked about
    (root / "Documentation" / "new.rst").write_text("new\n")
    assert stamps.hold(root)


def test_every_change_to_what_was_read_breaks_the_stamps(tmp_path: Path) -> None:
    changes = {
        "an edited file, same size": lambda r: (r / "include/linux/mm.h").write_text("#define VM_READ 2\n"),
        "a file that was absent appears": lambda r: (r / "include/linux/absent.h").write_text("x\n"),
        "a stamped file is removed": lambda r: (r / "README").unlink(),
        "a new file in a listed directory": lambda r: (r / "include/linux/new.h").write_text("x\n"),
        "a found file no longer mentions a word": lambda r: (r / "mm/sub/deep.c").write_text("int DEEP;\n"),
        "a new file mentions one, deep below": lambda r: (r / "mm/sub/new.h").write_text("int deep;\n"),
        "a found file is removed": lambda r: (r / "mm/memory.c").unlink(),
        "a read file becomes a symlink": lambda r: _swap_for_symlink(r / "include/linux/mm.h"),
    }
    for what, change in changes.items():
        root = small_tree(tmp_path / what.replace(" ", "-"))
        stamps = stamp(root, journal_of(root), since_ns=time.time_ns())
        assert stamps is not None and stamps.hold(root), what
        change(root)
        assert not stamps.hold(root), what


def test_a_search_holds_while_it_finds_the_same_files(tmp_path: Path) -> None:
    root = small_tree(tmp_path)
    stamps = stamp(root, journal_of(root), since_ns=time.time_ns())
    assert stamps is not None
    (root / "mm" / "Makefile").write_text("obj-y += memory\n")  # grep --include=*.c --include=*.h
    (root / "mm" / "sub" / "other.c").write_text("int other;\n")  # mentions none of the words
    (root / "mm" / "memory.c").write_text("int memory, more;\n")  # still mentions one
    assert stamps.hold(root)


def test_a_search_that_failed_or_found_two_answers_keeps_nothing(tmp_path: Path) -> None:
    root = small_tree(tmp_path)
    for second in (None, grep.digest(["mm/memory.c"])):
        journal = journal_of(root)
        journal.searched(SEARCH, second)
        assert stamp(root, journal, since_ns=time.time_ns()) is None


def test_a_change_after_the_run_began_keeps_nothing(tmp_path: Path) -> None:
    """Racy git: a file modified while (or just before) the run read it may not be what its stamp says. (A
    file a search found is judged by what the search finds: see the test after.)"""
    started = time.time_ns()
    for touched in ("include/linux/mm.h", "include/linux"):
        root = small_tree(tmp_path / touched.replace("/", "-"))
        os.utime(root / touched)  # now: after the run began, before it read
        assert stamp(root, journal_of(root), since_ns=started) is None, touched
    root = small_tree(tmp_path / "at-rest")
    assert stamp(root, journal_of(root), since_ns=started) is not None


def test_a_change_after_the_run_read_keeps_nothing_that_holds(tmp_path: Path) -> None:
    started = time.time_ns()
    for touched in ("include/linux/mm.h", "include/linux"):
        root = small_tree(tmp_path / touched.replace("/", "-"))
        journal = journal_of(root)
        changed = root / touched if touched.endswith((".c", ".h")) else root / touched / "new.h"
        changed.touch()  # after the run read it
        kept = stamp(root, journal, since_ns=started)
        assert kept is None or not kept.hold(root), touched


def test_a_file_a_search_found_is_judged_by_what_the_search_finds(tmp_path: Path) -> None:
    # The search found it (its words, not its text, are what the run took from it): touched, it still holds;
    # no longer found, it does not.
    started = time.time_ns()
    root = small_tree(tmp_path)
    journal = journal_of(root)
    os.utime(root / "mm/sub/deep.c")
    kept = stamp(root, journal, since_ns=started)
    assert kept is not None and kept.hold(root)
    (root / "mm/sub/deep.c").write_text("int shallow;\n")
    assert not kept.hold(root)


def _swap_for_symlink(path: Path) -> None:
    twin = path.with_name("twin.h")
    twin.write_text(path.read_text())
    path.unlink()
    path.symlink_to(twin.name)


def test_a_listed_directory_that_is_a_symlink_inside_the_tree_is_watched_through_it(tmp_path: Path) -> None:
    root = small_tree(tmp_path)
    (root / "include" / "linux").rename(root / "reallinux")
    (root / "include" / "linux").symlink_to("../reallinux")
    aged(root)
    tree = DirectoryTree(root)
    tree.journal = Journal()
    assert sorted(tree.list_files("include/linux")) == ["include/linux/mm.h"]
    stamps = stamp(root, tree.journaled(), since_ns=time.time_ns())
    assert stamps is not None and stamps.hold(root)
    (root / "reallinux" / "new.h").write_text("x\n")
    assert not stamps.hold(root)


def test_a_symlink_the_run_refused_to_follow_is_watched(tmp_path: Path) -> None:
    """A link out of the tree gives a note naming its target: another target is another report."""
    root = small_tree(tmp_path)
    (tmp_path / "out1").mkdir()
    (tmp_path / "out2").mkdir()
    (root / "kernel").symlink_to(tmp_path / "out1")
    aged(tmp_path)  # the targets too
    tree = DirectoryTree(root)
    tree.journal = Journal()
    assert tree.read_bytes("kernel/fork.c") is None
    assert tree.outside == {"kernel": str(tmp_path / "out1")}
    stamps = stamp(root, tree.journaled(), since_ns=time.time_ns())
    assert stamps is not None and stamps.hold(root)
    (root / "kernel").unlink()
    (root / "kernel").symlink_to(tmp_path / "out2")
    assert not stamps.hold(root)


def test_a_file_deleted_while_the_run_read_it_keeps_nothing_that_holds(tmp_path: Path) -> None:
    root = small_tree(tmp_path)
    started = time.time_ns()
    tree = DirectoryTree(root)
    tree.journal = Journal()
    assert tree.read_bytes("mm/sub/deep.c") is not None  # read, and no listing of its directory
    (root / "mm" / "sub" / "deep.c").unlink()  # then gone: absent now, though the run read it
    kept = stamp(root, tree.journaled(), since_ns=started)
    assert kept is None or not kept.hold(root)


def test_a_search_reads_what_grep_reads_below_nested_git_directories(tmp_path: Path) -> None:
    root = small_tree(tmp_path)
    (root / "mm" / ".git").mkdir()
    (root / "mm" / ".git" / "stray.c").write_text("int stray;\n")
    aged(root)
    stamps = stamp(root, journal_of(root), since_ns=time.time_ns())
    assert stamps is not None
    (root / "mm" / ".git" / "stray.c").write_text("int memory;\n")
    assert not stamps.hold(root)


def test_damaged_stamps_are_a_miss_not_a_crash(tmp_path: Path) -> None:
    from patchcheck.source.journal import Stamps

    root = small_tree(tmp_path)
    assert not Stamps((("a\0b", None),), (), ()).hold(root)
    assert not Stamps((), (("a\0b", None),), ()).hold(root)
    assert not Stamps((), (), (((("w",), ("a\0b",), (".c",)), "x"),)).hold(root)


def test_stamps_taken_when_files_were_read_are_those_a_stat_at_the_end_gives(tmp_path: Path) -> None:
    root = small_tree(tmp_path)
    os.symlink("memory.c", root / "mm" / "alias.c")  # a link is stamped with its target, at the end
    aged(root)
    tree = DirectoryTree(root)
    tree.journal = Journal()
    for path in ("include/linux/mm.h", "mm/alias.c", "mm/sub/deep.c", "absent.h"):
        tree.read_bytes(path)
    journal = tree.journaled()
    assert set(journal.stamped) == {"include/linux/mm.h", "mm/sub/deep.c"}  # read, and no symlink
    at_end = Journal(files=set(journal.files), dirs=set(journal.dirs), searches=dict(journal.searches))
    since = time.time_ns()
    assert stamp(root, journal, since_ns=since) == stamp(root, at_end, since_ns=since) is not None


def test_a_file_edited_after_it_was_read_never_holds(tmp_path: Path) -> None:
    root = small_tree(tmp_path)
    since = time.time_ns()
    tree = DirectoryTree(root)
    tree.journal = Journal()
    assert tree.read_bytes("include/linux/mm.h") == b"#define VM_READ 1\n"
    (root / "include/linux/mm.h").write_text("#define VM_READ 2\n")  # while the run goes on
    kept = stamp(root, tree.journaled(), since_ns=since)
    assert kept is None or not kept.hold(root)


def test_a_kept_search_that_leads_out_of_the_tree_is_a_miss_and_greps_nothing_there(tmp_path: Path) -> None:
    from patchcheck.source.journal import Stamps

    root = small_tree(tmp_path)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "x.c").write_text("int memory;\n")
    for dirs in (("../outside",), ("/" + str(tmp_path / "outside"),), ("mm/../../outside",)):
        kept = Stamps((), (), (((WORDS, dirs, (".c",)), grep.digest(["../outside/x.c"])),))
        assert not kept.hold(root), dirs
