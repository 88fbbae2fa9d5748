"""A one-line progress display on standard error, shown only when standard error is a terminal.

Long-running layers (reading a large tree cold, a long thread) call::

    with progress("reading tree", total=len(paths)) as bar:
        for path in paths:
            bar.advance(detail=path)

Nothing is written when stderr is not a terminal (hooks, CI logs, pipes) or after `--quiet`.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

_enabled_override: bool | None = None


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
        self.done += step
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last_draw < self.interval and (self.total is None or self.done < self.total):
            return
        self._last_draw = now
        count = f"{self.done}/{self.total}" if self.total else str(self.done)
        line = f"{self.label}: {count}" + (f" {detail}" if detail else "")
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
