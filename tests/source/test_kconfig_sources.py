"""The `source` lines of a Kconfig file and the conditions they are read under, found without scanning its
entries (patchcheck.source.kconfig_lines.source_sites): always those of the full scan, or no answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patchcheck.source import kconfig_tree
from patchcheck.source.cache import DiskCache
from patchcheck.source.kconfig import scan_kconfig
from patchcheck.source.kconfig_db import KconfigDB
from patchcheck.source.kconfig_lines import source_sites
from patchcheck.source.tree import DirectoryTree

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _agrees(text: str) -> bool:
    """source_sites gives no answer, or the scan's; True when it answered."""
    found = source_sites("arch/x/Kconfig", text)
    if found is not None:
        assert found == scan_kconfig("arch/x/Kconfig", text).sources, text
    return found is not None


CASES = {
    "nested if and menu conditions": (
        'if A\nmenu "m"\n\tdepends on B\n\tdepends on C # c\nsource "x/Kconfig"\nendmenu\nendif\n'
        'source "y/Kconfig"\n'
    ),
    "a depends of an entry is not the menu's": (
        'menu "m"\nconfig X\n\tbool\n\tdepends on B\nsource "x/Kconfig"\nendmenu\n'
    ),
    "a choice's depends": 'choice\n\tprompt "p"\n\tdepends on D\nrsource "c/Kconfig"\nendchoice\n',
    "keywords in help text are not read": (
        'config X\n\tbool\n\thelp\n\t  if you say Y\n\t  source "no/Kconfig"\n\n\t  endif\n'
        'if Y\nosource "yes/Kconfig"\nendif\n'
    ),
    "help indented by spaces, tabs mixed": (
        'config X\n\thelp\n        eight spaces\n\t  if tab then two\n  endif\nsource "a/Kconfig"\n'
    ),
    "help ended by a lesser indentation": (
        'if A\nconfig X\n\thelp\n\t\tdeep\n\t  source "shallower/Kconfig"\nendif\n'
    ),
    "help whose first line is not indented": 'config X\n\thelp\nif A\nsource "a/Kconfig"\nendif\n',
    "help running to the end": 'config X\n\t---help---\n\t  source "no/Kconfig"\n\t  x',
    "a continued condition": 'if A || \\\n\tB\nsource "a/Kconfig"\nendif\n',
    "a continued entry line": 'config X\n\tdefault y if A || \\\n\t\tB\nsource "a/Kconfig"\n',
    "a continued line before a keyword": 'config X\n\tdefault y if \\\nif A\nsource "a/Kconfig"\nendif\n',
    "a comment line": '# if A\nsource "a/Kconfig"\n',
    "a quoted hash": 'if A\nsource "a#b/Kconfig" # c\nendif\n',
    "CRLF": 'if A\r\nsource "a/Kconfig"\r\nendif\r\n',
    "a form feed": 'if A\n\x0csource "a/Kconfig"\nendif\n',
    "an unmatched endif": 'endif\nsource "a/Kconfig"\nendmenu\nif B\n',
    "a word that only begins with a keyword": 'ifx A\nsourced "a"\nsource "a/Kconfig"\n',
    "a help line continued": 'config X\n\thelp\n\t  one \\\n\t  two\nsource "a/Kconfig"\n',
    "a first help line continued": 'config X\n\thelp\n  one \\\nif A\nsource "a/Kconfig"\nendif\n',
    "a first help line that is a backslash": 'config X\n\thelp\n\\\n  if A\nsource "a/Kconfig"\n',
    # the scan joins the backslash line to the next, which puts it back in the help text: the `if` is in it
    "help ended by a line joined to one indented": (
        'config X\n\thelp\n\t  text\n\\\n\t  more\n\t  if A\nsource "a/Kconfig"\n'
    ),
    "help of a backslash line joined to one indented": (
        'config X\n\thelp\n\\\n\t  more\n\t  if A\nsource "a/Kconfig"\n'
    ),
    "an indented if in help text after a continued help line": (
        'config X\n\thelp\n\t  one \\\n\t  if A\nsource "a/Kconfig"\n'
    ),
    "an indented source in an if block": 'if A\n\tsource "a/Kconfig"\nendif\n',
    "an indented source ending help text": 'config X\n\thelp\n\t\tdeep\n\tsource "a/Kconfig"\n',
    "an indented source in help text": 'if A\nconfig X\n\thelp\n\t source "a/Kconfig"\n\tsource "b"\nendif\n',
    "a menu's help, then its depends": (
        'menu "m"\n\thelp\n\t  depends on NOT\n\tdepends on B\nsource "a/Kconfig"\nendmenu\n'
    ),
    "a choice's continued depends": 'choice\n\tdepends on A || \\\n\t\tB\nsource "a/Kconfig"\nendchoice\n',
    "a menu's lines ended by a continued line": (
        'menu "m"\n\tdepends on A\nif \\\nB\nsource "a/Kconfig"\nendif\nendmenu\n'
    ),
    # in help text, a line indented as much as the first, not as it is, and continued: the scan reads the
    # next line as part of it, so the first `depends on` is help text
    "a menu's help text continued": (
        'menu "m"\n\thelp\n\t  x\n          y \\\n\tdepends on NOT\n\tdepends on B\n'
        'source "a/Kconfig"\nendmenu\n'
    ),
    "a menu's lines in help text, continued": (
        'menu "m"\n\thelp\n\t  x\n  y \\\n\t  if Q\n\tdepends on B\nsource "a/Kconfig"\nendmenu\n'
    ),
}


# The cases where the scan may read what this does not: the caller scans the file
NO_ANSWER = {
    "CRLF",
    "a form feed",
    "a continued line before a keyword",
    "a first help line continued",
    "a first help line that is a backslash",
    "help ended by a line joined to one indented",
    "help of a backslash line joined to one indented",
    "an indented if in help text after a continued help line",
    "a menu's lines in help text, continued",
    "a menu's help text continued",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_sites_are_the_full_scans_or_none_where_it_may_differ(case: str) -> None:
    assert _agrees(CASES[case]) == (case not in NO_ANSWER)


# Lines of Kconfig text: keywords at every indentation, help text with keywords in it, comments, trailing
# backslashes (which join lines, in help text or not) and the odd line end.
_INDENTS = st.sampled_from(["", "", "\t", "\t  ", "  ", "        ", "\t\t", " \t"])
_STATEMENTS = st.sampled_from(
    [
        "config X",
        "menuconfig Y",
        'menu "m"',
        "endmenu",
        "choice",
        "endchoice",
        'comment "c"',
        "if A",
        "if B || C",
        "endif",
        'source "a/Kconfig"',
        'rsource "b"',
        'osource "c"',
        'orsource "d"',
        "depends on D",
        "depends on E # e",
        "help",
        "---help---",
        "text if",
        "if you say",
        "bool",
        "default y",
        "select Z",
        "",
        "# if Q",
        'mainmenu "x"',
    ]
)
_TAILS = st.sampled_from(["", "", "", "", " ", " \\", "\\", " # t", "\t"])
_ENDS = st.sampled_from(["\n"] * 6 + ["\r\n"])
_LINES = st.tuples(_INDENTS, _STATEMENTS, _TAILS, _ENDS).map("".join)


@settings(max_examples=3000, deadline=None)
@given(st.lists(_LINES, max_size=30).map("".join))
def test_any_text_gives_the_scans_sites_or_none(text: str) -> None:
    _agrees(text)


def test_every_space_str_strip_removes_besides_spaces_tabs_and_newlines_gives_no_answer() -> None:
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace() and chr(c) not in " \t\n"]
    for space in spaces:
        assert source_sites("K", f'if A\n{space}source "a"\nendif\n') is None, hex(ord(space))


def _everything_scanned(tree: DirectoryTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> KconfigDB:
    with monkeypatch.context() as patched:
        patched.setattr(kconfig_tree, "unscanned", lambda path, data: None)
        return kconfig_tree._discover(tree, DiskCache(tmp_path / "whole"))[0]


def _same_structure(tree: DirectoryTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> KconfigDB:
    db, _ = kconfig_tree._discover(tree, DiskCache(tmp_path / "lazy"))
    whole = _everything_scanned(tree, tmp_path, monkeypatch)
    assert db.sourced_from == whole.sourced_from
    assert db.unexpanded == whole.unexpanded
    assert db.lazy is not None and whole.lazy is not None
    assert db.lazy.files.order == whole.lazy.files.order
    db.complete()
    whole.complete()
    assert dict(db.packed_definitions) == dict(whole.packed_definitions)
    assert dict(db.packed_selectors) == dict(whole.packed_selectors)
    assert dict(db.choices) == dict(whole.choices)
    return db


@pytest.mark.parametrize("where", ["trees/classic", "trees/enum-style", "registry/base"])
def test_discovery_reads_the_tree_as_a_full_scan_does(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _same_structure(DirectoryTree(FIXTURES / where), tmp_path, monkeypatch)


def test_files_with_source_lines_are_not_scanned_until_asked(tmp_path: Path) -> None:
    root = tmp_path / "t"
    files = {
        "Kconfig": 'source "a/Kconfig"\n',
        "a/Kconfig": 'config A\n\tbool\nif A\nsource "a/b/Kconfig"\nendif\n',
        "a/b/Kconfig": "config B\n\tbool\n",
    }
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    db = kconfig_tree._discover(DirectoryTree(root), DiskCache(tmp_path / "c"))[0]
    assert db.lazy is not None and db.lazy.files.scans == {}
    assert db.sourced_from["a/b/Kconfig"] == [("a/Kconfig", ("A",), None)]
    assert [d.name for d in db.definitions_of("B")] == ["B"]
    assert set(db.lazy.files.scans) == {"a/b/Kconfig"}


@pytest.mark.realtree
@pytest.mark.parametrize("which", ["6.12", "6.1"])
def test_a_real_tree_is_read_as_a_full_scan_reads_it(
    which: str,
    real_tree: Path,
    real_tree_6_1: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = real_tree if which == "6.12" else real_tree_6_1
    db = _same_structure(DirectoryTree(root), tmp_path, monkeypatch)
    sourcing = [p for p in db.sourced_from if (root / p).is_file() and "source" in (root / p).read_text()]
    answered = [
        p for p in sourcing if source_sites(p, (root / p).read_text("utf-8", "surrogateescape")) is not None
    ]
    for path in answered:
        text = (root / path).read_text("utf-8", "surrogateescape")
        assert source_sites(path, text) == scan_kconfig(path, text).sources, path
    assert len(answered) >= 0.9 * len(sourcing)
