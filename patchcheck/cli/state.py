"""Process-wide options set by the top-level callback (only --debug for now)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CliState:
    debug: bool = False


STATE = CliState()
