"""verify's long work shows progress on a terminal, and nothing at all otherwise (hooks, CI, pipes)."""

from __future__ import annotations

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
    assert "checking the tree before and after each patch: 6/6" in err
    assert err.endswith("\r\x1b[K")  # the line is erased at the end


def test_no_progress_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    set_progress_enabled(False)  # a pipe, a hook, or --quiet
    run_verify()
    assert capsys.readouterr().err == ""
