"""The Kconfig database on disk: a header and one blob, entries sliced out when asked for; damage is a miss
or an undefined symbol, never a crash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patchcheck.source import kconfig_db, kconfig_tree
from patchcheck.source.cache import DiskCache
from patchcheck.source.kconfig_db import (
    _NAMESPACE,
    KconfigDB,
    fetch_db,
    fetch_tables,
    pack,
    store_db,
    store_tables,
)
from patchcheck.source.kconfig_tree import load_kconfig
from patchcheck.source.tree import DirectoryTree


@pytest.mark.parametrize("whole", [False, True])
def test_a_stored_database_reads_back_the_same(fixtures_dir: Path, tmp_path: Path, whole: bool) -> None:
    # Saved as built so far (with what each unscanned file mentions: read again from the tree) or whole.
    cache = DiskCache(tmp_path / "cache")
    tree = DirectoryTree(fixtures_dir / "trees" / "classic")
    db = load_kconfig(tree, cache)
    assert db.definitions_of("ARM64_MTE")
    if whole:
        db.complete()
    store_db(cache, "k", db)
    assert (fetch_db(cache, "k") is None) is not whole  # a lazy one needs the tree's files
    back = fetch_db(cache, "k", tree.read_bytes)
    assert back is not None
    assert (back.arches, back.sourced_from, back.choices, back.unexpanded) == (
        db.arches,
        db.sourced_from,
        db.choices,
        db.unexpanded,
    )
    assert dict(back.packed_definitions) == dict(db.packed_definitions)
    assert dict(back.packed_selectors) == dict(db.packed_selectors)
    assert back.definitions_of("ARM64_MTE") == db.definitions_of("ARM64_MTE") != []


def test_tables_are_sliced_by_name(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "cache")
    store_tables(cache, "k", ["small"], [{"A": "[1]", "B": "[22]"}, {"C": "[]"}])
    found = fetch_tables(cache, "k")
    assert found is not None
    small, (first, second) = found
    assert small == ["small"] and dict(first) == {"A": "[1]", "B": "[22]"} and dict(second) == {"C": "[]"}
    assert "B" in first and "C" not in first and len(second) == 1


def test_a_header_that_does_not_fit_its_blob_is_a_miss(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "cache")
    store_tables(cache, "k", None, [{"A": "[1]", "B": "[22]"}])
    path = cache._path(_NAMESPACE, "k")
    assert path is not None and path.is_file()
    path.write_bytes(path.read_bytes()[:-2])  # truncated
    assert fetch_tables(cache, "k") is None


def test_a_damaged_entry_reads_as_an_undefined_symbol(fixtures_dir: Path, tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "cache")
    db = load_kconfig(DirectoryTree(fixtures_dir / "trees" / "classic"), cache)
    tree = DirectoryTree(fixtures_dir / "trees" / "classic")
    entry = db.packed_definitions["ARM64_MTE"].encode()
    store_db(cache, "k", db)
    path = cache._path(_NAMESPACE, "k")
    assert path is not None
    data = path.read_bytes()
    path.write_bytes(data.replace(entry, b"\xff" * len(entry)))
    back = fetch_db(cache, "k", tree.read_bytes)
    assert back is not None and back.definitions_of("ARM64_MTE") == [] and back.exists("ARM64_MTE")
    assert back.definitions_of("ARM64_POE") == db.definitions_of("ARM64_POE")


@pytest.mark.parametrize(
    "head",
    [
        ((("x86",), "[]", {}, [], None), [["A"], []], ["5"]),  # an end that is no number
        ((("x86",), "[]", {}, [], None), [[["A"]], []], [5]),  # a name that is no string
        ((("x86",), "[]", {}, [], None), [["A"], []], [None]),
        ((("x86",), '{"Kconfig": [1]}', {}, [], None), [["A"], []], [5]),  # sourcing sites of another shape
        ((("x86",), '[["Kconfig", null, [1], null]]', {}, [], None), [["A"], []], [5]),
        ((("x86",), '[["Kconfig", null, []]]', {}, [], None), [["A"], []], [5]),
        ((("x86",), "[[", {}, [], None), [["A"], []], [5]),  # sourcing sites cut short
        ((("x86",), [], {}, [], None), [["A"], []], [5]),  # sourcing sites not as text
        ((("x86",), "[]", {}, []), [["A"], []], [5]),  # a part missing
        ((("x86",), "[]", {}, [], (["Kconfig"], ["A\n", "B\n"])), [["A"], []], [5]),  # files out of step
        ((("x86",), "[]", {}, [], (["Kconfig"], [5])), [["A"], []], [5]),  # what a file mentions: no text
    ],
)
def test_a_header_of_another_shape_is_a_miss(tmp_path: Path, head: object) -> None:
    cache = DiskCache(tmp_path / "cache")
    cache.put_with_blob(_NAMESPACE, "k", head, b"[1,2]")
    assert fetch_db(cache, "k", lambda path: b"") is None


def test_a_damaged_base_entry_makes_an_incremental_rebuild_a_whole_scan(tmp_path: Path) -> None:
    base = KconfigDB(
        ("x86",), {"mm/Kconfig": [(None, (), None)]}, {"A": '[["A","mm/Kconfig",1,"bool",false,[],[],5,0]]'}
    )
    contents = {"mm/Kconfig": (b"config A\n\tbool\n", b"config A\n\tbool\n\tselect B\n")}
    assert kconfig_tree._rebuild_or_none(base, contents, []) is None


_JSON_PLAIN = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.lists(inner, max_size=4).map(tuple),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_JSON_PLAIN, max_size=5))
def test_an_entry_packs_to_the_text_the_json_encoder_writes(value: list[Any]) -> None:
    # pack() calls the json module's C encoder it made once; JSONEncoder.encode makes one per call.
    assert pack(value) == kconfig_db._ENCODE(value)
    assert json.loads(pack(value)) == json.loads(json.dumps(value))
