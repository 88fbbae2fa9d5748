"""`patchcheck audit`: not built yet (see the issue that owns it)."""

from __future__ import annotations

import typer

from patchcheck.errors import InputError


def register(app: typer.Typer) -> None:
    @app.command("audit")
    def audit() -> None:
        """Not implemented yet."""
        raise InputError("'audit' is not implemented yet")
