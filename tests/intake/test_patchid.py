"""Our patch-id against `git patch-id --stable`, and its stability."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from patchcheck.intake.assemble import load_series
from patchcheck.intake.diff import split_body
from patchcheck.intake.patchid import patch_id

from .helpers import EXAMPLE_SERIES, MAIL

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")


def _git_patch_id(text: str) -> str | None:
    out = subprocess.run(
        ["git", "patch-id", "--stable"], input=text.encode(), capture_output=True, check=True
    )
    return out.stdout.decode().split()[0] if out.stdout else None


@needs_git
@pytest.mark.parametrize("name", ["single.patch", "rename-new-delete.patch", "latin1.eml", "qp.eml"])
def test_matches_git_on_text_patches(name: str) -> None:
    series = load_series(str(MAIL / name))
    (patch,) = series.patches
    assert patch.patch_id == _git_patch_id(patch.diff.text)


@needs_git
def test_matches_git_on_every_patch_of_the_example() -> None:
    for patch in load_series(str(EXAMPLE_SERIES)).patches:
        assert patch.patch_id == _git_patch_id(patch.diff.text)


def test_ignores_whitespace_and_line_numbers_but_not_content() -> None:
    base = "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -10,3 +10,3 @@\n a\tb\n-c\n+d\n e\n"
    moved = base.replace("@@ -10,3 +10,3 @@", "@@ -99,3 +101,3 @@").replace("a\tb", "a  b")
    changed = base.replace("+d", "+D")
    assert patch_id(base) == patch_id(moved)
    assert patch_id(base) != patch_id(changed)


def test_file_order_does_not_matter() -> None:
    one = "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"
    two = "diff --git a/y b/y\n--- a/y\n+++ b/y\n@@ -1 +1 @@\n-c\n+d\n"
    assert patch_id(one + two) == patch_id(two + one)


def test_no_diff_no_id() -> None:
    assert patch_id("just text\n") is None


def test_a_patch_recovered_from_a_mangled_quote_keeps_its_id() -> None:
    original = load_series(str(EXAMPLE_SERIES)).patches[1]
    quoted = load_series(str(MAIL / "mangled-quote.txt")).patches[0]
    assert quoted.reconstructed_from_quote
    assert quoted.diff.text != original.diff.text
    assert quoted.patch_id == original.patch_id


def test_diff_text_is_what_follows_the_message() -> None:
    parts = split_body((MAIL / "single.patch").read_text())
    assert parts is not None and parts.diff.startswith("diff --git a/include/linux/mm.h")
