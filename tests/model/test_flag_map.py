"""`patchcheck flags --map`: the 64 bits of vm_flags per architecture, in both mm.h declaration styles."""

from __future__ import annotations

import html.parser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from patchcheck.model import load_flag_model
from patchcheck.model.bitmap import ArchMap, build_map
from patchcheck.report.bitmap import RED, free_everywhere, render_html, render_text
from patchcheck.source.cache import DiskCache
from patchcheck.source.facts import ConfigFacts
from patchcheck.source.tree import DirectoryTree
from tests.conftest import FIXTURES
from tests.registry.conftest import REGISTRY, scenario_changes


def maps_of(root: Path, tmp_path: Path) -> dict[str, ArchMap]:
    tree = DirectoryTree(root)
    facts = ConfigFacts.from_tree(tree, DiskCache(tmp_path / "cache"))
    return {m.arch: m for m in build_map(load_flag_model(tree), facts)}


def holders(m: ArchMap, bit: int) -> set[str]:
    return {h.flag for h in m.bits[bit].holders}


@pytest.mark.parametrize("style", ["classic", "enum-style"])
def test_every_architecture_has_its_bits_with_their_holders(style: str, tmp_path: Path) -> None:
    maps = maps_of(FIXTURES / "trees" / style, tmp_path)
    assert {"x86", "arm64", "arm"} <= set(maps)
    for arch, m in maps.items():
        # vm_flags is an unsigned long: 32 bits where no configuration of the architecture is 64-bit
        assert [b.bit for b in m.bits] == list(range(32 if arch == "arm" else 64))
        assert holders(m, 0) == {"VM_READ"} and holders(m, 1) == {"VM_WRITE"}
        assert any(b.free for b in m.bits)
        assert m.collisions == 0
    assert "VM_DROPPABLE" in holders(maps["x86"], 40)
    assert "VM_DROPPABLE" in holders(maps["arm64"], 40)


def test_arch_1_aliases_are_per_architecture_and_not_collisions(tmp_path: Path) -> None:
    maps = maps_of(REGISTRY / "base", tmp_path)
    assert {"VM_ARCH_1", "VM_SAO", "VM_DROPPABLE"} <= holders(
        maps["powerpc"], 24
    )  # SAO on PPC64, DROPPABLE on PPC32
    assert "VM_SAO" not in holders(maps["x86"], 24) and "VM_ARM64_BTI" in holders(maps["arm64"], 24)
    assert maps["arm64"].bits[36].pool == "VM_HIGH_ARCH_4"  # MTE in the pool bit pkeys use on powerpc
    assert "VM_MTE" in holders(maps["arm64"], 36) and "VM_PKEY_BIT4" in holders(maps["powerpc"], 36)
    assert sum(m.collisions for m in maps.values()) == 0


def test_collision_is_shown_in_red_and_in_the_page(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    shutil.copytree(REGISTRY / "base", root)
    for path, data in scenario_changes("pc102-collision").items():
        assert data is not None
        (root / path).write_bytes(data)
    maps = maps_of(root, tmp_path)
    bit = maps["x86"].bits[40]
    assert bit.collisions == (("VM_DROPPABLE", "VM_COPYBIT"),)
    text = render_text(list(maps.values()), colour=True)
    red = [line for line in text.splitlines() if line.startswith(RED)]
    assert red and all("40" in line or "COLLISION" in line for line in red)
    assert "VM_COPYBIT" in render_text(list(maps.values()), colour=False)
    page = render_html(list(maps.values()), source=str(root))
    assert page.count('class="collision"') == sum(
        1 for m in maps.values() if m.bits[40:41] and m.bits[40].collisions
    )
    assert "http" not in page and "<script" not in page and "<link" not in page  # one self-contained page
    html.parser.HTMLParser().feed(page)


def test_cli_map_formats(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "patchcheck", "flags", "--tree", str(REGISTRY / "base"), "--map", *args],
            capture_output=True,
            text=True,
        )

    text = run()
    assert text.returncode == 0, text.stderr
    first, _, rest = text.stdout.partition("\n\n")
    assert first.startswith("free on every architecture (for a generic flag): ")
    assert rest.startswith(("arm64: ", "powerpc: ", "sh", "x86: "))
    assert max(len(line) for line in text.stdout.splitlines()) <= 80
    assert "\x1b[" not in text.stdout  # a pipe: no colour unless asked
    assert run("--color", "always").stdout.startswith("\x1b[1mfree on every architecture")
    assert run("--color", "red").returncode == 2
    page = run("--format", "html")
    assert page.returncode == 0 and page.stdout.startswith("<!DOCTYPE html>")
    json_out = run("--format", "json")
    assert '"architectures"' in json_out.stdout
    no_map = subprocess.run(
        [sys.executable, "-m", "patchcheck", "flags", "--tree", str(REGISTRY / "base"), "--format", "html"],
        capture_output=True,
        text=True,
    )
    assert no_map.returncode == 2
    assert no_map.stderr == "patchcheck: error: --format html draws the bit map: give --map too\n"


def test_bits_free_on_every_architecture_are_those_a_generic_flag_can_take(tmp_path: Path) -> None:
    maps = list(maps_of(REGISTRY / "base", tmp_path).values())
    free = free_everywhere(maps)
    assert free, "the fixture leaves some bit free everywhere"
    for bit in free:
        assert all(m.bits[bit].free and not m.bits[bit].pool for m in maps if bit < len(m.bits))
    held = {b.bit for m in maps for b in m.bits if b.holders or b.pool}
    assert not held & set(free) and 0 not in free and 40 not in free  # VM_READ; VM_DROPPABLE on 64-bit
    # sh is 32-bit in the fixture: bits 32-63 are named apart, as 64-bit only
    assert any(len(m.bits) == 32 for m in maps)
    low, _, high = render_text(maps, width=400).splitlines()[0].partition("; on every 64-bit one")
    assert low.startswith("free on every architecture (for a generic flag): ")
    assert "41-62" in high and "41" not in low and "CONFIG_64BIT" in high
    assert "; on every 64-bit one" in render_html(maps, source="t")
    wide = [m for m in maps if len(m.bits) == 64]
    assert "64-bit one" not in render_text(wide).splitlines()[0] and "41-62" in render_text(wide, width=400)
