"""The Kconfig database on disk: a header and one blob, entries sliced out when asked for; damage is a miss
or an undefined symbol, never a crash."""

from __future__ import annotations

from pathlib import Path

from patchcheck.source.cache import DiskCache
from patchcheck.source.kconfig_db import fetch_db, fetch_tables, store_db, store_tables
from patchcheck.source.kconfig_tree import load_kconfig
from patchcheck.source.tree import DirectoryTree


def test_a_stored_database_reads_back_the_same(fixtures_dir: Path, tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "cache")
    db = load_kconfig(DirectoryTree(fixtures_dir / "trees" / "classic"), cache)
    store_db(cache, "k", db)
    back = fetch_db(cache, "k")
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
    path = cache._path("kconfig-db-v2", "k")
    assert path is not None and path.is_file()
    path.write_bytes(path.read_bytes()[:-2])  # truncated
    assert fetch_tables(cache, "k") is None


def test_a_damaged_entry_reads_as_an_undefined_symbol(fixtures_dir: Path, tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "cache")
    db = load_kconfig(DirectoryTree(fixtures_dir / "trees" / "classic"), cache)
    store_db(cache, "k", db)
    path = cache._path("kconfig-db-v2", "k")
    assert path is not None
    data = path.read_bytes()
    entry = db.packed_definitions["ARM64_MTE"].encode()
    path.write_bytes(data.replace(entry, b"\xff" * len(entry)))
    back = fetch_db(cache, "k")
    assert back is not None and back.definitions_of("ARM64_MTE") == [] and back.exists("ARM64_MTE")
    assert back.definitions_of("ARM64_POE") == db.definitions_of("ARM64_POE")
