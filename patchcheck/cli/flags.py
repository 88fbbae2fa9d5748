"""`patchcheck flags --tree DIR`: every VM_* flag with its bit and guard per configuration, and registries."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from patchcheck.cli.options import ColorOption, ConfigOption, parse_color
from patchcheck.errors import InputError

if TYPE_CHECKING:
    from patchcheck.model.load import FlagModel
    from patchcheck.report.style import ColorMode
    from patchcheck.source.facts import ConfigFacts


def register(app: typer.Typer) -> None:
    @app.command("flags")
    def flags(
        tree: Annotated[
            Path | None, typer.Option("--tree", metavar="DIR", help="Kernel source tree to read.")
        ] = None,
        rev: Annotated[
            str | None, typer.Option("--rev", metavar="REV", help="Read the tree at this git revision.")
        ] = None,
        output_format: Annotated[
            str,
            typer.Option("--format", metavar="FORMAT", help="text or json (with --map also html: one page)."),
        ] = "text",
        flag: Annotated[
            list[str] | None, typer.Option("--flag", metavar="VM_X", help="Only these flags.")
        ] = None,
        bit_map: Annotated[
            bool,
            typer.Option(
                "--map",
                help="The bits of vm_flags per architecture (32 if never 64-bit): holders, free, pool.",
            ),
        ] = False,
        config: ConfigOption = None,
        color: ColorOption = "auto",
    ) -> None:
        """Print the VM_* flag table: bit and guard per configuration, smaps mnemonic, trace name, docs."""
        from patchcheck.cli.trees import open_flag_tree
        from patchcheck.config import load_config
        from patchcheck.model.load import MM_H, load_flag_model
        from patchcheck.model.table import flag_rows, render_text
        from patchcheck.source.facts import ConfigFacts

        colour = parse_color(color)
        formats = ("text", "json", "html") if bit_map else ("text", "json")
        if output_format == "html" and not bit_map:
            raise InputError("--format html draws the bit map: give --map too")
        if output_format not in formats:
            raise InputError(f"unknown format {output_format!r} (use {', '.join(formats)})")
        tree = tree or load_config(config).tree
        if tree is None:
            raise InputError(
                "flags needs a tree: --tree DIR or `tree` in .patchcheck.toml; try 'patchcheck flags --help'"
            )
        source = open_flag_tree(tree, rev)
        model = load_flag_model(source)
        facts = ConfigFacts.from_tree(source)
        if bit_map:
            raise typer.Exit(_print_map(model, facts, source.label, output_format, colour))
        wanted = set(flag or ())
        rows = flag_rows(model, facts, wanted or None)
        unknown = wanted - {r["name"] for r in rows}
        if unknown:
            verb = "is" if len(unknown) == 1 else "are"
            raise InputError(f"--flag: {', '.join(sorted(unknown))} {verb} not defined in {MM_H}")
        if output_format == "json":
            typer.echo(json.dumps({"tree": source.label, "flags": rows}, indent=2))
        else:
            typer.echo(render_text(rows, width=shutil.get_terminal_size().columns))
        raise typer.Exit(0)


def _print_map(model: FlagModel, facts: ConfigFacts, label: str, output_format: str, mode: ColorMode) -> int:
    from patchcheck.model.bitmap import as_json, build_map
    from patchcheck.report.bitmap import render_html, render_text
    from patchcheck.report.style import colour_enabled

    maps = build_map(model, facts)
    if output_format == "json":
        typer.echo(json.dumps({"tree": label, "architectures": as_json(maps)}, indent=2))
    elif output_format == "html":
        typer.echo(render_html(maps, source=label), nl=False)
    else:
        colour = colour_enabled(sys.stdout, mode)
        width = shutil.get_terminal_size().columns
        typer.echo(render_text(maps, width=width, colour=colour), nl=False, color=colour)
    return 0
