"""verify's long work shows progress on a terminal, and nothing at all otherwise (hooks, CI, pipes)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from patchcheck.intake import load_series
from patchcheck.report.progress import set_progress_delay, set_progress_enabled
from patchcheck.rules.engine import verify_series
from patchcheck.source.tree import DirectoryTree
from tests.conftest import FIXTURES

EXAMPLE = FIXTURES / "example"


@pytest.fixture(autouse=True)
def reset_progress() -> Iterator[None]:
    set_progress_delay(0)  # the example runs well under the 2 s a real run waits before drawing
    yield
    set_progress_enabled(None)
    set_progress_delay(2.0)


def run_verify() -> None:
    verify_series(load_series(str(EXAMPLE / "series.mbox")), DirectoryTree(Path(EXAMPLE / "tree")))


def test_progress_is_drawn_and_erased_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    set_progress_enabled(True)  # what a terminal on stderr decides
    run_verify()
    err = capsys.readouterr().err
    # every state of the series (before, after each of 2 patches) times each group of checkers: the
    # count ends at its total, whatever the grouping
    done = re.findall(r"checking the tree before and after each patch: (\d+)/(\d+)", err)
    assert done and done[-1][0] == done[-1][1] and int(done[-1][1]) % 3 == 0
    assert err.endswith("\r\x1b[K")  # the line is erased at the end


def test_no_progress_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    set_progress_enabled(False)  # a pipe, a hook, or --quiet
    run_verify()
    assert capsys.readouterr().err == ""
