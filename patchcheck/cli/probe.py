"""`patchcheck probe`: not built yet (see the issue that owns it)."""

from __future__ import annotations

import typer

from patchcheck.errors import InputError


def register(app: typer.Typer) -> None:
    @app.command("probe")
    def probe() -> None:
        """Not implemented yet."""
        raise InputError("'probe' is not implemented yet")
