"""`patchcheck probe`: check, claim by claim, that the running kernel keeps MAP_DROPPABLE's promises."""

from __future__ import annotations

import enum
from typing import Annotated

import typer

from patchcheck.errors import EXIT_CLEAN, EXIT_FINDINGS


class Format(enum.StrEnum):
    text = "text"
    json = "json"


def register(app: typer.Typer) -> None:
    @app.command("probe")
    def probe(
        output_format: Annotated[
            Format, typer.Option("--format", help="text (a line per claim) or json.")
        ] = (Format.text),
        pressure: Annotated[
            bool, typer.Option("--pressure", help="Also fault a droppable range in a small memory cgroup.")
        ] = False,
        coredump: Annotated[
            bool, typer.Option("--coredump", help="Also dump core of a child in a temporary directory.")
        ] = False,
        compare: Annotated[
            str | None,
            typer.Option("--compare", metavar="lazyfree", help="Also measure MADV_FREE side by side."),
        ] = None,
        timeout: Annotated[float, typer.Option("--timeout", min=1.0, help="Seconds per observation.")] = 10.0,
        simulate: Annotated[
            str | None, typer.Option("--simulate", hidden=True, envvar="PATCHCHECK_PROBE_SIMULATE")
        ] = None,
    ) -> None:
        """Probe MAP_DROPPABLE on the running kernel: pass / fail / unsupported / skipped per claim."""
        from patchcheck.probe.render import render_json, render_text
        from patchcheck.probe.run import ProbeOptions, probe_host

        options = ProbeOptions(pressure, coredump, compare, timeout, simulate)
        report = probe_host(options)
        typer.echo(render_json(report) if output_format is Format.json else render_text(report), nl=False)
        raise typer.Exit(EXIT_FINDINGS if report.failed else EXIT_CLEAN)
