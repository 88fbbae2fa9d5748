"""A one-line progress display on standard error, shown only when standard error is a terminal.

Long-running layers (reading a large tree cold, a long thread) call::

    with progress("reading tree", total=len(paths)) as bar:
        for path in paths:
            bar.advance(detail=path)

Nothing is written when stderr is not a terminal (hooks, CI logs, pipes) or after `--quiet`, and nothing
before the run is 2 seconds old: a quick run stays silent.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

_enabled_override: bool | None = None
_STARTED = time.monotonic()  # about when the process started: this module loads with the first command
_delay = 2.0


def set_progress_delay(seconds: float) -> None:
    """How old the run must be before progress is drawn (2 s by default)."""
    global _delay
    _delay = seconds


def set_progress_enabled(enabled: bool | None) -> None:
    """Force progress on or off for the whole process (None: decide by the terminal). `--quiet` sets False."""
    global _enabled_override
    _enabled_override = enabled


def _wants_progress(stream: TextIO) -> bool:
    if _enabled_override is not None:
        return _enabled_override
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """Redraws at most every `interval` seconds so that a tight loop is not slowed by the terminal."""

    def __init__(
        self, label: str, total: int | None = None, *, stream: TextIO | None = None, interval: float = 0.1
    ) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = _wants_progress(self.stream)
        self.interval = interval
        self._last_draw = 0.0
        self._drawn = False

    def advance(self, step: int = 1, *, detail: str = "") -> None:
        """Count `step` more done (0: only redraw, e.g. to show time passing) and redraw if it is time."""
        self.done += step
        if not self.enabled:
            return
        now = time.monotonic()
        if now - _STARTED < _delay:
            return
        if now - self._last_draw < self.interval and (self.total is None or self.done < self.total):
            return
        self._last_draw = now
        count = f"{self.done}/{self.total}" if self.total else str(self.done) if self.done else ""
        line = f"{self.label}: " + " ".join(part for part in (count, detail) if part)
        self.stream.write("\r\x1b[K" + line[:200])
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def progress(label: str, total: int | None = None, *, stream: TextIO | None = None) -> Progress:
    return Progress(label, total, stream=stream)
