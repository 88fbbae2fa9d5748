"""Colour per severity, only for a terminal, and never when NO_COLOR is set (https://no-color.org)."""

from __future__ import annotations

import os
from enum import StrEnum
from typing import TextIO

from patchcheck.report.finding import Severity


class ColorMode(StrEnum):
    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


_SGR = {
    Severity.ERROR: "1;31",  # bold red
    Severity.WARNING: "33",  # yellow
    Severity.UNRESOLVED: "35",  # magenta
    Severity.INFO: "36",  # cyan
}


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def colour_enabled(stream: TextIO, mode: ColorMode = ColorMode.AUTO) -> bool:
    """`always` is an explicit wish and wins over NO_COLOR; `auto` needs a terminal and no NO_COLOR."""
    if mode is ColorMode.NEVER:
        return False
    if mode is ColorMode.ALWAYS:
        return True
    if os.environ.get("NO_COLOR", ""):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    return _is_tty(stream)


class Painter:
    """Wraps severity words in ANSI colour, or leaves them alone."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def severity(self, severity: Severity, text: str | None = None) -> str:
        word = text if text is not None else severity.value
        if not self.enabled:
            return word
        return f"\x1b[{_SGR[severity]}m{word}\x1b[0m"

    def dim(self, text: str) -> str:
        return f"\x1b[2m{text}\x1b[0m" if self.enabled else text

    def bold(self, text: str) -> str:
        return f"\x1b[1m{text}\x1b[0m" if self.enabled else text


PLAIN = Painter(False)
