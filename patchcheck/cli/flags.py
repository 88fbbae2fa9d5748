"""`patchcheck flags --tree DIR`: every VM_* flag with its bit and guard per configuration, and registries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from patchcheck.errors import InputError


def register(app: typer.Typer) -> None:
    @app.command("flags")
    def flags(
        tree: Annotated[Path, typer.Option("--tree", help="Kernel source tree to read.")],
        output_format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
        flag: Annotated[list[str] | None, typer.Option("--flag", help="Only these flags.")] = None,
    ) -> None:
        """Print the VM_* flag table: bit and guard per configuration, smaps mnemonic, trace name, docs."""
        from patchcheck.cli.trees import open_flag_tree
        from patchcheck.model.load import MM_H, load_flag_model
        from patchcheck.model.table import flag_rows, render_text
        from patchcheck.source.facts import ConfigFacts

        if output_format not in ("text", "json"):
            raise InputError(f"unknown format {output_format!r} (use text or json)")
        source = open_flag_tree(tree)
        model = load_flag_model(source)
        facts = ConfigFacts.from_tree(source)
        wanted = set(flag or ())
        rows = flag_rows(model, facts, wanted or None)
        unknown = wanted - {r["name"] for r in rows}
        if unknown:
            raise InputError(f"no such flag in {MM_H}: {', '.join(sorted(unknown))}")
        if output_format == "json":
            typer.echo(json.dumps({"tree": source.label, "flags": rows}, indent=2))
        else:
            typer.echo(render_text(rows))
        raise typer.Exit(0)
