"""A directory tree reads a file whole in one read of the size fstat gave when that is all of it, and reads on
to its end when it is not: a file that grew since, or a file system that hands out less than asked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from patchcheck.source import tree as tree_module
from patchcheck.source.tree import DirectoryTree

CONTENTS = {"empty": b"", "small": b"config A\n" * 7, "large": bytes(range(256)) * 9000}


def _tree(tmp_path: Path) -> DirectoryTree:
    for name, data in CONTENTS.items():
        (tmp_path / name).write_bytes(data)
    return DirectoryTree(tmp_path)


def test_a_file_is_read_whole(tmp_path: Path) -> None:
    files = _tree(tmp_path)
    assert {name: files.read_bytes(name) for name in CONTENTS} == CONTENTS


def test_a_file_larger_than_fstat_said_is_read_to_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _tree(tmp_path)
    real = os.fstat

    def smaller(fd: int) -> os.stat_result:  # as if each file grew by 100 bytes after fstat
        st = real(fd)
        fields = list(st)
        fields[6] = max(0, st.st_size - 100)
        return os.stat_result(fields)

    monkeypatch.setattr(tree_module.os, "fstat", smaller)
    assert {name: files.read_bytes(name) for name in CONTENTS} == CONTENTS


def test_short_reads_are_read_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = _tree(tmp_path)
    real = os.read
    monkeypatch.setattr(tree_module.os, "read", lambda fd, n: real(fd, min(n, 1000)))
    assert {name: files.read_bytes(name) for name in CONTENTS} == CONTENTS
