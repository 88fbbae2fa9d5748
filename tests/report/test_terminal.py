"""Colour and progress appear only on a terminal; NO_COLOR and --quiet turn them off."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from patchcheck.report.progress import Progress, set_progress_delay, set_progress_enabled
from patchcheck.report.style import ColorMode, colour_enabled


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    set_progress_enabled(None)
    set_progress_delay(0)
    yield
    set_progress_delay(2.0)


def test_colour_only_on_a_terminal() -> None:
    assert colour_enabled(FakeTerminal()) is True
    assert colour_enabled(io.StringIO()) is False
    assert colour_enabled(io.StringIO(), ColorMode.ALWAYS) is True
    assert colour_enabled(FakeTerminal(), ColorMode.NEVER) is False


def test_no_color_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert colour_enabled(FakeTerminal()) is False


def test_progress_draws_on_a_terminal_and_clears_itself() -> None:
    term = FakeTerminal()
    with Progress("reading tree", total=3, stream=term, interval=0) as bar:
        for name in ("a", "b", "c"):
            bar.advance(detail=name)
    out = term.getvalue()
    assert "reading tree: 3/3 c" in out
    assert out.endswith("\r\x1b[K")


def test_progress_is_silent_off_a_terminal_and_when_quiet() -> None:
    pipe = io.StringIO()
    with Progress("x", total=2, stream=pipe, interval=0) as bar:
        bar.advance()
    assert pipe.getvalue() == ""
    set_progress_enabled(False)
    term = FakeTerminal()
    with Progress("x", stream=term, interval=0) as bar:
        bar.advance()
    assert term.getvalue() == ""


def test_progress_waits_until_the_run_is_two_seconds_old() -> None:
    """A quick run prints no progress at all, even on a terminal."""
    set_progress_delay(3600)
    term = FakeTerminal()
    with Progress("reading tree", total=3, stream=term, interval=0) as bar:
        for name in ("a", "b", "c"):
            bar.advance(detail=name)
    assert term.getvalue() == ""
    set_progress_delay(0)
    with Progress("booting", stream=term, interval=0) as bar:
        bar.advance(0, detail="3 s")  # time passing, nothing counted
    assert "booting: 3 s" in term.getvalue()
