"""Kconfig files scanned when a question first reaches them (patchcheck.source.kconfig_lazy): every entry is
the one a full scan gives, asked in any order, saved and taken up again, on fixture and real trees."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patchcheck.source import kconfig_tree
from patchcheck.source.cache import DiskCache
from patchcheck.source.kconfig import SourceSite
from patchcheck.source.kconfig_db import KconfigDB, fetch_db, store_db
from patchcheck.source.kconfig_lazy import scan, scanned_mentions, unscanned
from patchcheck.source.tree import DirectoryTree

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _tree(root: Path, files: dict[str, str]) -> DirectoryTree:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return DirectoryTree(root)


SMALL = {
    "Kconfig": 'source "mm/Kconfig"\nsource "fs/Kconfig"\nsource "drivers/Kconfig"\n',
    "mm/Kconfig": 'config DROP\n\tbool\n\tdepends on 64BIT\n\nconfig SCRATCH\n\tbool "scratch"\n',
    "fs/Kconfig": "config PROCFS\n\tbool\n\tselect DROP if MMU\n\timply SCRATCH\n",
    "drivers/Kconfig": (
        'menu "drivers"\nconfig DRV\n\ttristate\n\thelp\n\t  config DROP\n\t  is not read here\nendmenu\n'
    ),
}


def _discover(tree: DirectoryTree, tmp_path: Path) -> KconfigDB:
    return kconfig_tree._discover(tree, DiskCache(tmp_path / "cache"))[0]


def _same(lazy: KconfigDB, whole: KconfigDB, selectors_first: bool) -> None:
    whole.complete()
    tables = [
        (lazy.packed_selectors, whole.packed_selectors),
        (lazy.packed_definitions, whole.packed_definitions),
        (lazy.choices, whole.choices),
    ]
    assert lazy.has_definitions() == whole.has_definitions()
    for mine, theirs in tables if selectors_first else reversed(tables):
        for key in list(theirs):
            assert mine.get(key) == theirs.get(key), key
    assert dict(lazy.packed_definitions) == dict(whole.packed_definitions)  # and iterated: all of them
    assert dict(lazy.packed_selectors) == dict(whole.packed_selectors)


def test_only_the_files_that_mention_a_name_are_scanned(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "t", SMALL)
    db = _discover(tree, tmp_path)
    assert db.lazy is not None and set(db.lazy.files.scans) == set()  # not even the one with `source` lines
    assert [d.line for d in db.definitions_of("DROP")] == [1]
    # mm/Kconfig defines it, fs/Kconfig selects it; drivers/Kconfig says so only in help text, and is read
    # too (a mention is never missed, at worst one too many)
    assert set(db.lazy.files.scans) == {"mm/Kconfig", "fs/Kconfig", "drivers/Kconfig"}
    db2 = _discover(tree, tmp_path)
    assert [(d.name, cond) for d, cond in db2.selectors_of("DROP")] == [("PROCFS", "MMU")]
    assert db2.lazy is not None and "drivers/Kconfig" in db2.lazy.files.scans
    db3 = _discover(tree, tmp_path)
    assert db3.exists("PROCFS") and not db3.exists("NOWHERE")
    assert db3.lazy is not None and set(db3.lazy.files.scans) == {"fs/Kconfig"}


@pytest.mark.parametrize("selectors_first", [False, True])
@pytest.mark.parametrize("where", ["trees/classic", "trees/enum-style", "registry/base", "small"])
def test_every_entry_is_the_one_a_full_scan_gives(tmp_path: Path, where: str, selectors_first: bool) -> None:
    tree = _tree(tmp_path / "t", SMALL) if where == "small" else DirectoryTree(FIXTURES / where)
    _same(_discover(tree, tmp_path), _discover(tree, tmp_path), selectors_first)


def _same_answers(lazy: KconfigDB, whole: KconfigDB) -> None:
    """The definitions and selectors handed out as scanned (not packed) are those of the whole database."""
    whole.complete()
    names = sorted(set(whole.packed_definitions) | {t.lstrip("?") for t in whole.packed_selectors})
    for name in names:
        assert lazy.selectors_of(name) == whole.selectors_of(name), name
        assert lazy.impliers_of(name) == whole.impliers_of(name), name
        assert lazy.definitions_of(name) == whole.definitions_of(name), name


@pytest.mark.parametrize("where", ["trees/classic", "trees/enum-style", "registry/base", "small"])
def test_every_answer_is_the_one_a_full_scan_gives(tmp_path: Path, where: str) -> None:
    tree = _tree(tmp_path / "t", SMALL) if where == "small" else DirectoryTree(FIXTURES / where)
    lazy = _discover(tree, tmp_path)
    _same_answers(lazy, _discover(tree, tmp_path))
    assert lazy.lazy is not None and lazy.lazy.full is None  # answered entry by entry
    _same(lazy, _discover(tree, tmp_path), selectors_first=False)  # and packed alike when saved


@pytest.mark.realtree
@pytest.mark.parametrize("which", ["6.12", "6.1"])
def test_every_entry_of_a_real_tree_is_the_one_a_full_scan_gives(
    which: str, real_tree: Path, real_tree_6_1: Path, tmp_path: Path
) -> None:
    tree = DirectoryTree(real_tree if which == "6.12" else real_tree_6_1)
    lazy = _discover(tree, tmp_path)
    assert lazy.lazy is not None and len(lazy.lazy.files.scans) < len(lazy.lazy.files.order) / 4
    _same(lazy, _discover(tree, tmp_path), selectors_first=True)
    _same_answers(_discover(tree, tmp_path), _discover(tree, tmp_path))


def _scanned_at_once(data: bytes) -> bool:
    return unscanned("Kconfig", data) is None


def test_text_the_expression_could_misread_is_scanned_at_once() -> None:
    assert not _scanned_at_once(b"config A\n\tbool\n\tselect B if C\n")
    assert not _scanned_at_once(b"config A\r\n\tbool\r\n")  # CRLF: the same names
    assert not _scanned_at_once(b"config A\n\thelp\n\t  By Jos\xc3\xa9.\n")  # non-ASCII text
    assert not _scanned_at_once(b"config A\n\tdepends on B || \\\n\t\tC\n")  # a continued condition
    assert not _scanned_at_once(b"config A # a comment\n\tselect B if C\n\tselect D # e\n")
    odd = [
        b"config \\\nA\n",
        b"\tselect\\\r\nA\n",
        b"\rconfig A\n",
        b"\x0cconfig A\n",
        b"config\x0bA\n",
        b"\xc2\xa0config A\n",
    ]
    odd += [b"\xe2\x80\x83config A\n", b"\xe3\x80\x80select A\n"]  # an em space, an ideographic space
    odd += [
        b"config A B\n",
        b"config config config",
        b"select A B\n",
        b'config A # "q"\n',
    ]  # names of 2 words
    odd.append(b'config A#\\\n"\n')  # a comment a backslash continues into a line with a quote
    for text in odd:
        assert _scanned_at_once(text), text
    sourcing = unscanned("Kconfig", b'if X\nsource "a/Kconfig"\nendif\n\torsource "b"\n')
    assert sourcing is not None
    assert sourcing.sources == [SourceSite("a/Kconfig", ("X",), 2, False), SourceSite("b", (), 4, True)]
    # a line that a backslash may join to an `if` or `source` line: scanned
    assert _scanned_at_once(b'config A\n\tdefault y if B || \\\nif X\nsource "a/Kconfig"\nendif\n')


# Pieces of Kconfig text, odd ones included: the keywords, names plain and not, every kind of space and line
# end the scanner or the expression could read otherwise.
_PIECES = st.sampled_from(
    [
        "config",
        "menuconfig",
        "select",
        "imply",
        "source",
        "help",
        "if",
        " if ",
        "A",
        "B_1",
        "?X",
        "FOO-BAR",
        '"Q"',
        "#",
        " ",
        "\t",
        "\n",
        "\r\n",
        "\r",
        "\\\n",
        "\x0b",
        "\x0c",
        "\x1c",
        "\x85",
        "\xa0",
        "\u2003",
        "\u3000",
        "\u00e9",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=24).map("".join))
def test_a_file_not_scanned_at_once_mentions_every_name_its_scan_finds(text: str) -> None:
    data = text.encode("utf-8")
    found = unscanned("Kconfig", data)
    if found is not None:
        scanned = scan("Kconfig", data)
        assert scanned_mentions(scanned) <= found.names
        assert found.sources == scanned.sources


def test_every_leading_space_str_strip_removes_makes_a_file_scanned_at_once() -> None:
    # The line scanner strips what str.isspace() calls a space; `mentions` reads spaces and tabs only.
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace() and chr(c) not in " \t\n"]
    for space in spaces:
        assert _scanned_at_once(f"{space}config A\n".encode("utf-8", "surrogateescape")), hex(ord(space))


ODD_NAMES = {
    "a name with a dash selects": {
        "a/Kconfig": "config FOO\n\tbool\n",
        "b/Kconfig": "config ODD-NAME\n\tselect FOO\n",
    },
    "a select of ?NAME": {
        "a/Kconfig": "config FOO\n\tbool\n",
        "b/Kconfig": "config BAR\n\tbool\n\tselect ?FOO\n",
    },
    "only names with a dash": {"a/Kconfig": "config FOO-BAR\n\tbool\n", "b/Kconfig": 'comment "x"\n'},
    "an empty name": {"a/Kconfig": "config FOO\n\tbool\n", "b/Kconfig": "config\n\tselect FOO\n"},
    "a quoted name": {"a/Kconfig": "config FOO\n\tbool\n", "b/Kconfig": 'config "Q"\n\tselect FOO\n'},
}


@pytest.mark.parametrize("case", sorted(ODD_NAMES))
def test_names_that_are_no_plain_word_read_as_a_full_scan_reads_them(tmp_path: Path, case: str) -> None:
    files = {"Kconfig": 'source "a/Kconfig"\nsource "b/Kconfig"\n', **ODD_NAMES[case]}
    tree = _tree(tmp_path / "t", files)
    lazy, whole = _discover(tree, tmp_path), _discover(tree, tmp_path)
    whole.complete()
    assert lazy.has_definitions() == whole.has_definitions()
    for name in ("FOO", "FOO-BAR", "ODD-NAME", "BAR", "Q", ""):
        assert lazy.selectors_of(name) == whole.selectors_of(name), name
        assert lazy.impliers_of(name) == whole.impliers_of(name), name
    _same(_discover(tree, tmp_path), whole, selectors_first=True)


def test_a_name_that_is_no_plain_word_is_looked_up_in_every_file(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "t", {**SMALL, "fs/Kconfig": "config ODD-NAME\n\tbool\n"})
    db = _discover(tree, tmp_path)
    assert [d.path for d in db.definitions_of("ODD-NAME")] == ["fs/Kconfig"]


def test_saved_as_built_so_far_and_taken_up_again(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "t", SMALL)
    cache = DiskCache(tmp_path / "cache")
    db = _discover(tree, tmp_path)
    assert db.definitions_of("SCRATCH")
    store_db(cache, "k", db)
    back = fetch_db(cache, "k", tree.read_bytes)
    assert back is not None and back.lazy is not None and back.lazy.files.scans == {}
    assert back.definitions_of("SCRATCH") == db.definitions_of("SCRATCH")  # as saved: nothing read
    assert back.lazy.files.scans == {}
    assert [(d.name, c) for d, c in back.impliers_of("SCRATCH")] == [("PROCFS", "")]  # read now
    _same(back, _discover(tree, tmp_path), selectors_first=False)


def test_an_audit_of_a_tree_with_a_selecting_dashed_name_is_the_one_a_full_scan_gives(tmp_path: Path) -> None:
    import shutil

    from patchcheck.rules.engine import audit

    root = tmp_path / "tree"
    shutil.copytree(FIXTURES / "registry" / "base", root)
    with (root / "arch" / "x86" / "Kconfig").open("a") as kconfig:
        kconfig.write("\nconfig ODD-NAME\n\tbool\n\tselect ARCH_HAS_PKEYS\n")
    report = audit(DirectoryTree(root))  # raised ValueError in selectors_of before the fix
    assert report == audit(DirectoryTree(FIXTURES / "registry" / "base"))


def test_the_entries_a_run_builds_are_saved_at_its_end_for_the_next(tmp_path: Path) -> None:
    import subprocess
    import sys

    _tree(tmp_path / "t", SMALL)
    probe = (
        "import sys; from pathlib import Path; from patchcheck.source.cache import DiskCache; "
        "from patchcheck.source.kconfig_tree import load_kconfig_keyed; "
        "from patchcheck.source.tree import DirectoryTree; "
        "_, db = load_kconfig_keyed(DirectoryTree(Path(sys.argv[1])), DiskCache(Path(sys.argv[2]))); "
        "print(len(db.definitions_of('SCRATCH')), sorted(db.lazy.files.scans))"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", probe, str(tmp_path / "t"), str(tmp_path / "cache")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split(" ", 1)
        for _ in range(2)
    ]
    assert runs[0] == ["1", "['fs/Kconfig', 'mm/Kconfig']\n"]  # scanned to answer
    assert runs[1] == ["1", "[]\n"]  # the answer saved at the first run's end: nothing scanned


def test_a_database_a_run_completed_is_saved_whole_at_its_end(tmp_path: Path) -> None:
    from patchcheck.source import cache as cache_module
    from patchcheck.source.kconfig_tree import load_kconfig_keyed

    tree = _tree(tmp_path / "t", SMALL)
    cache = DiskCache(tmp_path / "cache")
    key, db = load_kconfig_keyed(tree, cache)
    assert db.symbols()  # every entry built
    cache_module.run_end_saves()  # the run ends
    back = fetch_db(cache, key)  # whole: no reader needed
    assert back is not None and back.lazy is None and back.symbols() == db.symbols()


def test_a_keyword_word_in_help_text_leaves_the_file_unscanned() -> None:
    # Help text that begins a line with "select" or "config" (prose, not one name) is no keyword line
    prose = b'config A\n\tbool "a"\n\thelp\n\t  Say Y here to\n\t  select the value from\n\t  config space.\n'
    found = unscanned("Kconfig", prose + b"config B\n\tselect A\n")
    assert found is not None and found.names == {"A", "B"}
    # the same words outside help text are lines the expression cannot read: the file is scanned at once
    assert _scanned_at_once(b"config A\n\tbool\n\tselect the value\n")
    assert _scanned_at_once(b"config A\n\tbool\nselect the value\n")
    # a help text the scan would read with a joined line: not decided, scanned
    assert _scanned_at_once(b"config A\n\thelp\n\\\n\t  select the value\n")
