"""`patchcheck rules`: not built yet (see the issue that owns it)."""

from __future__ import annotations

import typer

from patchcheck.errors import InputError


def register(app: typer.Typer) -> None:
    @app.command("rules")
    def rules_() -> None:
        """Not implemented yet."""
        raise InputError("'rules' is not implemented yet")
