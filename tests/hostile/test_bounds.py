"""Bounds: input size, numbers in headers, and work linear (or n log n) in lines, hunks and patches.

Each run is a subprocess under `ulimit -v` 1 GB and a time limit (tests/hostile/harness.py): a quadratic
or exponential path shows up as a time-out or a memory error. Speed itself is measured by
bench/bench_hostile.py, not here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.generators import (
    huge_numbers,
    many_hunks_patch,
    many_patches,
    new_file_patch,
    patch_two,
    redefining_blocks_patch,
    two_patches_same_file,
)
from tests.hostile.harness import EXAMPLE, copy_tree, run, run_here

TREE = str(EXAMPLE / "tree")
NUMBERS = huge_numbers()


@pytest.mark.parametrize("name", sorted(NUMBERS))
@pytest.mark.parametrize("tree", [False, True], ids=["no tree", "tree"])
def test_a_huge_number_is_read_with_a_bound(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], name: str, tree: bool
) -> None:
    mail = tmp_path / "mail.patch"
    mail.write_bytes(NUMBERS[name])
    args = ["--tree", TREE] if tree else []
    run_here(capfd, "verify", str(mail), *args, "--format", "terse")


def test_endless_input_stops_at_the_cap(tmp_path: Path) -> None:
    out = run(tmp_path, "verify", "/dev/zero", allowed=(2,), timeout=60)
    assert "more than 64 MiB of input" in out.stderr and "--max-input-size" in out.stderr


def test_the_cap_can_be_lowered_and_raised(tmp_path: Path) -> None:
    series = str(EXAMPLE / "series.mbox")
    small = run(tmp_path, "verify", series, "--tree", TREE, "--max-input-size", "1K", allowed=(2,))
    assert "more than 1 KiB of input" in small.stderr
    assert run(tmp_path, "verify", series, "--tree", TREE, "--max-input-size", "1M", "-q").returncode == 0
    bad = run(tmp_path, "verify", series, "--max-input-size", "lots", allowed=(2,))
    assert "--max-input-size: 'lots' is not a size" in bad.stderr


def test_the_cap_holds_for_standard_input_and_the_hooks(tmp_path: Path) -> None:
    env = {"PATCHCHECK_MAX_INPUT": "1K"}
    out = run(tmp_path, "verify", "-", stdin=patch_two() * 4, env=env, allowed=(2,))
    assert "<stdin>: more than 1 KiB of input" in out.stderr
    hook = run(tmp_path, "hook", "b4", "--tree", TREE, stdin=patch_two() * 4, env=env, allowed=(2,))
    assert "more than 1 KiB of input" in hook.stderr


def test_a_100000_line_new_file(tmp_path: Path) -> None:
    big = new_file_patch(100_000)
    assert run(tmp_path, "verify", "-", "-q", stdin=big).returncode == 0
    assert run(tmp_path, "verify", "-", "--tree", TREE, "-q", stdin=big).returncode == 0


def test_a_thousand_distinct_patches(tmp_path: Path) -> None:
    # The time limit catches quadratic work (minutes); bench/bench_hostile.py measures the target itself.
    assert run(tmp_path, "verify", "-", "-q", stdin=many_patches(1000), timeout=120).returncode == 0


@pytest.mark.parametrize("tree", [False, True], ids=["no tree", "tree"])
def test_many_hunks_in_one_file(tmp_path: Path, tree: bool) -> None:
    args = ["--tree", TREE] if tree else []
    run(tmp_path, "verify", "-", *args, "-q", stdin=many_hunks_patch(3000))
    run(tmp_path, "verify", "-", *args, "-q", stdin=two_patches_same_file(3000))


def test_a_macro_redefined_block_after_block(tmp_path: Path) -> None:
    # Its preprocessing took minutes and gigabytes before each macro's formula was bounded (preproc.py)
    tree = copy_tree(tmp_path / "tree")  # with the header PC612 needs, so that it parses the new file
    (tree / "include" / "linux" / "userfaultfd_k.h").write_text("#define __VM_UFFD_FLAGS VM_UFFD_MISSING\n")
    patch = redefining_blocks_patch(60)
    out = run(tmp_path, "verify", "-", "--tree", str(tree), "--format", "terse", stdin=patch)
    assert "mm/pick.c:" in out.stdout and "[PC612]" in out.stdout  # the test of VM_WRITE is dead
