"""Paths asked of a tree are normalised, and refused when absolute or climbing out, whatever their form."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patchcheck.errors import InputError
from patchcheck.source.tree import safe_relpath


def _reference(path: str) -> str | None:
    """The normal form by pathlib, None when refused."""
    if not path or "\0" in path or path.startswith("\\"):
        return None
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or str(pure) in ("", "."):
        return None
    return str(pure)


def _ours(path: str) -> str | None:
    try:
        return safe_relpath(path)
    except InputError:
        return None


@settings(max_examples=2000, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "b.c", ".", "..", "/", "\\", "\0", "...", ".x"]), max_size=8).map("".join)
)
def test_every_path_is_normalised_or_refused_as_pathlib_reads_it(path: str) -> None:
    assert _ours(path) == _reference(path)


@pytest.mark.parametrize(
    ("path", "normal"),
    [("mm/mmap.c", "mm/mmap.c"), ("mm//mmap.c", "mm/mmap.c"), ("./mm/./x.c", "mm/x.c"), ("mm/", "mm")],
)
def test_plain_and_unusual_forms(path: str, normal: str) -> None:
    assert safe_relpath(path) == normal


@pytest.mark.parametrize("path", ["", "/etc/passwd", "../x", "mm/../../x", "a/..", ".", "\\x", "a\0b"])
def test_paths_out_of_the_tree_are_refused(path: str) -> None:
    with pytest.raises(InputError):
        safe_relpath(path)
