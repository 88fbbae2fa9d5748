"""Errors that end a command with one clear line and exit status 2.

Anything raised as `InputError` is the user's input being unusable (bad mbox, missing tree, a patch that does
not apply, a bad rule pack). The CLI prints `patchcheck: <message>` and exits 2; tracebacks appear only with
`--debug`. Any other exception is a bug in patchcheck: one line `patchcheck: internal error: ...`, exit 3.
"""

from __future__ import annotations

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3  # an unexpected exception: a bug in patchcheck, said in one line


class InputError(Exception):
    """The input cannot be used; the message is one line meant for the user."""

    def __init__(self, message: str, *, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        # Extra lines (e.g. the expected context of a failed hunk) printed under the message.
        self.details = details or []
