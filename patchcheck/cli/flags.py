"""`patchcheck flags`: not built yet (see the issue that owns it)."""

from __future__ import annotations

import typer

from patchcheck.errors import InputError


def register(app: typer.Typer) -> None:
    @app.command("flags")
    def flags() -> None:
        """Not implemented yet."""
        raise InputError("'flags' is not implemented yet")
