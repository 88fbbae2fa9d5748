"""A diff inside the cover letter is what `git am` applies first: it is checked, as patch 0, and said so."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.generators import cover_letter_with_diff
from tests.hostile.harness import EXAMPLE, run_here

TREE = str(EXAMPLE / "tree")


@pytest.mark.parametrize("tree", [True, False], ids=["tree", "no tree"])
def test_a_diff_in_the_cover_letter_is_checked_as_patch_0(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], tree: bool
) -> None:
    mbox = tmp_path / "series.mbox"
    mbox.write_bytes(cover_letter_with_diff())
    args = ["--tree", TREE] if tree else []
    out = run_here(capfd, "verify", str(mbox), *args, "--strict")
    assert "2 of 2 patches and a diff in the cover letter (patch 0)" in out.stdout
    assert "carries a diff: checked as patch 0" in out.stdout
    assert "[0/2] mm: VM_SCRATCH for scratch mappings: 1 file, +1 -0" in out.stdout
    assert "VM_COVERED (added)" in out.stdout
    if tree:  # PC201 needs the tree's smaps table
        assert out.returncode == 1, out.stdout + out.stderr
        assert "patch 0/2: mm: VM_SCRATCH for scratch mappings" in out.stdout
        assert "VM_COVERED has no smaps mnemonic" in out.stdout


def test_an_interdiff_in_the_cover_letter_is_not_a_patch(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    mbox = tmp_path / "series.mbox"
    mbox.write_bytes(cover_letter_with_diff(interdiff=True))
    out = run_here(capfd, "verify", str(mbox), "--tree", TREE, "--strict")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "patch 0" not in out.stdout and "VM_COVERED" not in out.stdout
