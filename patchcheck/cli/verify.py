"""`patchcheck verify`: not built yet (see the issue that owns it)."""

from __future__ import annotations

import typer

from patchcheck.errors import InputError


def register(app: typer.Typer) -> None:
    @app.command("verify")
    def verify() -> None:
        """Not implemented yet."""
        raise InputError("'verify' is not implemented yet")
