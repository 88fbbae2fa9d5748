"""A cache that cannot run code: plain data with a version and a schema check, regular files only, atomic
writes, XDG_CACHE_HOME honoured; a bad entry is ignored and rebuilt; missing files are part of the key."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from patchcheck.model.flags import FlagDef
from patchcheck.source import plaindata
from patchcheck.source.cache import DiskCache
from tests.hostile.harness import EXAMPLE, copy_tree, run

TREE = str(EXAMPLE / "tree")


class _Planted:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (Path(self.marker),))  # what a planted pickle would do when loaded


def test_a_planted_pickle_never_runs(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "cache")
    path = cache._path("model", "k")
    assert path is not None
    path.parent.mkdir(parents=True)
    marker = tmp_path / "ran"
    path.write_bytes(pickle.dumps(_Planted(str(marker))))
    assert cache.get("model", "k") is None
    assert not marker.exists()


def test_a_fifo_or_a_symlink_in_place_of_an_entry_is_a_miss(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "cache")
    cache.put("model", "fifo", (1,))
    cache.put("model", "link", (1,))
    fifo, link = cache._path("model", "fifo"), cache._path("model", "link")
    assert fifo is not None and link is not None
    fifo.unlink()
    os.mkfifo(fifo)
    link.unlink()
    link.symlink_to("/dev/zero")
    assert cache.get("model", "fifo") is None
    assert cache.get("model", "link") is None


@pytest.mark.parametrize(
    "entry",
    [
        b"",
        b"\x80\x04garbage",
        b"patchcheck-cache plaindata 4\n{",
        b'patchcheck-cache plaindata 4\n{"$o":"os:system","v":["true"]}',
        b'patchcheck-cache plaindata 4\n{"$o":"patchcheck.model.flags:FlagDef","v":{"name":5}}',
        b'patchcheck-cache plaindata 4\n{"$o":"patchcheck.source.guards:Sym","v":{"name":["x"]}}',
        b'patchcheck-cache plaindata 4\n{"$zz":1}',
        b'patchcheck-cache plaindata 3\n{"$t":[1]}',
    ],
)
def test_a_damaged_or_wrong_shaped_entry_is_a_miss(tmp_path: Path, entry: bytes) -> None:
    cache = DiskCache(tmp_path / "cache")
    cache.put("model", "k", (1,))
    path = cache._path("model", "k")
    assert path is not None
    path.write_bytes(entry)
    assert cache.get("model", "k") is None


def test_products_round_trip_as_plain_data() -> None:
    value = {"flags": (FlagDef.__name__, frozenset({1, 2}), b"\x00\xff", "caf\udce9"), 3: [None, 1.5]}
    assert plaindata.loads(plaindata.dumps(value)) == value


def _corrupt_every_entry(root: Path) -> int:
    """Each cache entry replaced by something else: garbage, wrong-shaped data, a FIFO, a symlink."""
    entries = sorted(p for p in root.rglob("*") if p.is_file())
    for n, path in enumerate(entries):
        path.unlink()
        kind = n % 4
        if kind == 0:
            path.write_bytes(b"\x00" * 64)
        elif kind == 1:
            path.write_bytes(b'patchcheck-cache plaindata 4\n{"$t":[{"$t":[5, "x"]}]}')
        elif kind == 2:
            os.mkfifo(path)
        else:
            path.symlink_to("/dev/zero")
    return len(entries)


@pytest.mark.parametrize(
    "command",
    [
        ["flags", "--tree", TREE],
        ["audit", "--tree", TREE, "--format", "terse"],
        ["verify", str(EXAMPLE / "series.mbox"), "--tree", TREE, "-q"],
    ],
)
def test_commands_give_the_same_answer_over_a_damaged_cache(tmp_path: Path, command: list[str]) -> None:
    clean = run(tmp_path / "clean", *command)
    warm = tmp_path / "warm"
    run(warm, *command)
    assert _corrupt_every_entry(warm / "cache") > 0
    damaged = run(warm, *command, timeout=60)
    assert (damaged.returncode, damaged.stdout) == (clean.returncode, clean.stdout)
    rebuilt = run(warm, *command)
    assert (rebuilt.returncode, rebuilt.stdout) == (clean.returncode, clean.stdout)
    assert not list((warm / "cache").rglob(".tmp-*"))


def test_xdg_cache_home_is_honoured(tmp_path: Path) -> None:
    xdg = tmp_path / "xdg"
    run(tmp_path, "audit", "--tree", TREE, env={"PATCHCHECK_CACHE": None, "XDG_CACHE_HOME": str(xdg)})
    assert list((xdg / "patchcheck" / "parse").rglob("*")), "nothing cached under $XDG_CACHE_HOME/patchcheck"


def test_a_missing_sourced_file_is_part_of_the_key(tmp_path: Path) -> None:
    tree = copy_tree(tmp_path / "tree")
    with (tree / "Kconfig").open("a") as fh:
        fh.write('source "mm/Kconfig.extra"\n')
    mm_h = tree / "include" / "linux" / "mm.h"
    mm_h.write_text(
        mm_h.read_text().replace(
            "/* Flags a child",
            "#ifdef CONFIG_EXTRA_DEMO\n#define VM_EXTRA\t0x08000000\n#else\n"
            "#define VM_EXTRA\tVM_NONE\n#endif\n\n/* Flags a child",
        )
    )
    before = run(tmp_path, "audit", "--tree", str(tree), "--format", "terse")
    assert "CONFIG_EXTRA_DEMO is not defined" in before.stdout
    (tree / "mm" / "Kconfig.extra").write_text("config EXTRA_DEMO\n\tdef_bool y\n")
    after = run(tmp_path, "audit", "--tree", str(tree), "--format", "terse")
    assert "CONFIG_EXTRA_DEMO" not in after.stdout


@pytest.mark.parametrize("lines", ["[1,true]", '[1,"2"]', "[1,2.5]", "[1,null]", '{"$t":[1,false]}'])
def test_a_field_with_one_wrong_item_is_refused(lines: str) -> None:
    """Items are checked by their exact type first; one item of another type (a bool where the hint says
    int, a float, a string) must still refuse the whole entry, wherever it sits in the list."""
    good = '{"$o":"patchcheck.model.flags:FlagDef","v":{"name":"VM_X","kind":"flag","path":"mm.h",'
    good += '"variants":{"$t":[]},"lines":{"$t":[1,2]},"definitions":{"$t":[]},"enumerators":{"$t":[]},'
    good += '"undefs":{"$t":[]}}}'
    assert plaindata.loads(good.encode()).lines == (1, 2)
    bad = good.replace('{"$t":[1,2]}', lines if lines.startswith("{") else '{"$t":' + lines + "}")
    with pytest.raises(plaindata.BadEntry):
        plaindata.loads(bad.encode())


def test_a_deep_shape_check_refuses_one_wrong_item() -> None:
    assert plaindata.fits({"a": (1, 2), "b": ()}, dict[str, tuple[int, ...]])
    assert not plaindata.fits({"a": (1, True)}, dict[str, tuple[int, ...]])
    assert not plaindata.fits({"a": (1, 2), 3: ()}, dict[str, tuple[int, ...]])
    assert not plaindata.fits({"a": [1, 2]}, dict[str, tuple[int, ...]])
    assert plaindata.fits((1, 2.5, None), tuple[float | None, ...])
    assert not plaindata.fits((1, "x"), tuple[float | None, ...])


def test_entries_are_written_whole_and_again_after_the_cache_is_removed(tmp_path: Path) -> None:
    import shutil

    cache = DiskCache(tmp_path / "cache")
    cache.put("ns", "a", {"x": [1, 2]})
    assert cache.get("ns", "a") == {"x": [1, 2]}
    shutil.rmtree(tmp_path / "cache")  # a user clears the cache while a run is writing to it
    cache.put("ns", "a", {"x": [3]})
    assert cache.get("ns", "a") == {"x": [3]}
    # no temporary file is left behind, and each entry is one regular file
    left = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert len(left) == 1 and not left[0].name.startswith(".tmp")
