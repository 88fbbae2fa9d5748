"""patchcheck.source.journal: what a run read of a directory, and whether a later run would read the same."""

from __future__ import annotations

import os
import time
from pathlib import Path

from patchcheck.source.journal import Journal, Search, search_parts, stamp
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


def journal_of(root: Path) -> Journal:
    """A run that reads mm.h, stamps README, asks for an absent file, lists include/, greps mm/."""
    tree = DirectoryTree(root)
    tree.journal = Journal()
    assert tree.read_bytes("include/linux/mm.h") is not None
    assert tree.read_bytes("include/linux/absent.h") is None
    tree.stamps["README"] = "whatever a stamp was"
    assert sorted(tree.list_files("include")) == ["include/linux/mm.h"]
    assert tree.search_roots(["mm"], (".c", ".h")) == ["mm"]
    return tree.journaled()


def test_the_journal_names_what_was_read_listed_stamped_and_searched(tmp_path: Path) -> None:
    journal = journal_of(small_tree(tmp_path))
    assert journal.files == {"include/linux/mm.h", "include/linux/absent.h", "README"}
    assert journal.dirs == {"include", "include/linux"}
    assert journal.searches == {("mm", (".c", ".h"))}


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
        "a searched file is edited in place": lambda r: (r / "mm/sub/deep.c").write_text("int DEEP;\n"),
        "a new file to search, deep below": lambda r: (r / "mm/sub/new.h").write_text("x\n"),
        "a searched file is removed": lambda r: (r / "mm/memory.c").unlink(),
        "a read file becomes a symlink": lambda r: _swap_for_symlink(r / "include/linux/mm.h"),
    }
    for what, change in changes.items():
        root = small_tree(tmp_path / what.replace(" ", "-"))
        stamps = stamp(root, journal_of(root), since_ns=time.time_ns())
        assert stamps is not None and stamps.hold(root), what
        change(root)
        assert not stamps.hold(root), what


def test_a_search_reads_only_its_suffixes(tmp_path: Path) -> None:
    root = small_tree(tmp_path)
    stamps = stamp(root, journal_of(root), since_ns=time.time_ns())
    assert stamps is not None
    (root / "mm" / "Makefile").write_text("obj-y += memory.o\n")  # grep --include=*.c --include=*.h
    assert stamps.hold(root)


def test_a_change_after_the_run_began_keeps_nothing(tmp_path: Path) -> None:
    """Racy git: a file modified while (or just before) the run read it may not be what its stamp says."""
    started = time.time_ns()
    for touched in ("include/linux/mm.h", "mm/sub/deep.c", "include/linux"):
        root = small_tree(tmp_path / touched.replace("/", "-"))
        os.utime(root / touched)  # now: after the run began, before it read
        assert stamp(root, journal_of(root), since_ns=started) is None, touched
    root = small_tree(tmp_path / "at-rest")
    assert stamp(root, journal_of(root), since_ns=started) is not None


def test_a_change_after_the_run_read_keeps_nothing_that_holds(tmp_path: Path) -> None:
    started = time.time_ns()
    for touched in ("include/linux/mm.h", "mm/sub/deep.c", "include/linux"):
        root = small_tree(tmp_path / touched.replace("/", "-"))
        journal = journal_of(root)
        changed = root / touched if touched.endswith((".c", ".h")) else root / touched / "new.h"
        changed.touch()  # after the run read it
        kept = stamp(root, journal, since_ns=started)
        assert kept is None or not kept.hold(root), touched


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
    (root / "mm" / ".git" / "stray.c").write_text("int STRAY;\n")
    assert not stamps.hold(root)


def test_damaged_stamps_are_a_miss_not_a_crash(tmp_path: Path) -> None:
    from patchcheck.source.journal import Stamps

    root = small_tree(tmp_path)
    assert not Stamps((("a\0b", None),), (), ()).hold(root)
    assert not Stamps((), (("a\0b", None),), ()).hold(root)
    assert not Stamps((), (), (("a\0b", (".c",), "x"),)).hold(root)


def _stamp_all_parts(journal: Journal, root: Path, searches: set[Search] | None = None) -> None:
    for part in search_parts(root, journal.searches if searches is None else searches):
        journal.stamp_part(root, part)


def test_a_search_is_stamped_in_parts_the_files_right_in_it_and_each_directory_below(tmp_path: Path) -> None:
    root = small_tree(tmp_path)
    (root / "mm" / "linked").symlink_to(root / "include")  # not entered, as grep -r does not
    assert search_parts(root, {("mm", (".c",))}) == [("mm", (".c",), ""), ("mm", (".c",), "sub")]
    assert search_parts(root, {("absent", (".c",))}) == [("absent", (".c",), "")]


def test_parts_stamped_early_stamp_as_at_the_end(tmp_path: Path) -> None:
    # The two processes of a forked run stamp the parts before the run is over: the same stamps, and the
    # same refusal when a searched file changed after the run began.
    root = small_tree(tmp_path)
    started = time.time_ns()
    early = journal_of(root)
    early.since_ns = started
    _stamp_all_parts(early, root)
    assert len(early.parts) == 2
    assert stamp(root, early, since_ns=started) == stamp(root, journal_of(root), since_ns=started)
    merged = journal_of(root)
    merged.merge(early)
    assert merged.parts == early.parts
    root = small_tree(tmp_path / "touched")
    os.utime(root / "mm" / "sub" / "deep.c")  # now: after the run began
    late = journal_of(root)
    late.since_ns = started
    _stamp_all_parts(late, root)
    assert list(late.parts) == [("mm", (".c", ".h"), "")]  # the changed part is left to `stamp`
    assert stamp(root, late, since_ns=started) is None


def test_parts_stamped_by_another_process_stamp_as_their_maker_would(tmp_path: Path) -> None:
    # The parent stamps parts of the searches its forked child makes (patchcheck.rules.states): the child's
    # journal, merged, then needs no stamp of its own, and the stamps are the same.
    root = small_tree(tmp_path)
    started = time.time_ns()
    parent = Journal(since_ns=started)
    _stamp_all_parts(parent, root, {("mm", (".c", ".h")), ("fs", (".c", ".h"))})  # fs: never searched
    assert {d for d, _, _ in parent.parts} == {"mm", "fs"}
    parent.merge(journal_of(root))
    assert stamp(root, parent, since_ns=started) == stamp(root, journal_of(root), since_ns=started)
    (root / "mm" / "sub" / "deep.c").write_text("int deeper;\n")  # and they go stale as the whole would
    kept = stamp(root, parent, since_ns=started)
    assert kept is not None and not kept.hold(root)


def test_a_part_that_changed_refuses_only_if_its_search_is_made(tmp_path: Path) -> None:
    root = small_tree(tmp_path)
    started = time.time_ns()
    os.utime(root / "mm" / "sub" / "deep.c")  # now: after the run began
    unmade = Journal(since_ns=started)
    _stamp_all_parts(unmade, root, {("mm", (".c", ".h"))})
    assert stamp(root, unmade, since_ns=started) is not None  # a search no one made stamps nothing
    made = Journal(since_ns=started)
    _stamp_all_parts(made, root, {("mm", (".c", ".h"))})
    made.merge(journal_of(root))  # the child made it after all
    assert stamp(root, made, since_ns=started) is None


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
    at_end = Journal(files=set(journal.files), dirs=set(journal.dirs), searches=set(journal.searches))
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
