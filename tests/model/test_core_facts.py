"""The built-in core flag facts agree with a real tree's mm.h (when a Linux tree is available)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from patchcheck.model import load_flag_model
from patchcheck.model.core import CORE_BITS, HIGH_ARCH_GUARD, fixed_flag_at, high_arch_bits
from patchcheck.source.guards import Sym, atoms
from patchcheck.source.tree import DirectoryTree


def linux_tree() -> Path:
    path = Path(os.environ.get("PATCHCHECK_LINUX_TREE", Path.home() / ".cache/patchcheck/linux-source-6.12"))
    if not (path / "include/linux/mm.h").is_file():
        pytest.skip("no Linux tree (PATCHCHECK_LINUX_TREE)")
    return path


def test_core_bits_are_the_trees_bits_in_every_configuration() -> None:
    model = load_flag_model(DirectoryTree(linux_tree()))
    for name, bit in CORE_BITS.items():
        flag = model.flags[name]
        assert {(v.value.kind, v.value.bit) for v in flag.variants} == {("bit", bit)}, name


def test_high_arch_pool_bits_and_guard() -> None:
    model = load_flag_model(DirectoryTree(linux_tree()))
    for name, bit in high_arch_bits().items():
        if name not in model.flags or "_BIT_" in name:
            continue
        (variant,) = [v for v in model.flags[name].variants if v.value.kind == "bit"]
        assert variant.value.bit == bit
        assert Sym(HIGH_ARCH_GUARD) in atoms(variant.guard)


def test_fixed_flag_at() -> None:
    assert fixed_flag_at(1) == "VM_WRITE" and fixed_flag_at(24) is None and fixed_flag_at(27) is None
