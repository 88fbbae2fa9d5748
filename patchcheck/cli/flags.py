"""`patchcheck flags --tree DIR`: every VM_* flag with its bit and guard per configuration, and registries."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Annotated

import typer

from patchcheck.cli.options import ConfigOption
from patchcheck.errors import InputError


def register(app: typer.Typer) -> None:
    @app.command("flags")
    def flags(
        tree: Annotated[Path | None, typer.Option("--tree", help="Kernel source tree to read.")] = None,
        rev: Annotated[str | None, typer.Option("--rev", help="Read the tree at this git revision.")] = None,
        output_format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
        flag: Annotated[list[str] | None, typer.Option("--flag", help="Only these flags.")] = None,
        config: ConfigOption = None,
    ) -> None:
        """Print the VM_* flag table: bit and guard per configuration, smaps mnemonic, trace name, docs."""
        from patchcheck.cli.trees import open_flag_tree
        from patchcheck.config import load_config
        from patchcheck.model.load import MM_H, load_flag_model
        from patchcheck.model.table import flag_rows, render_text
        from patchcheck.source.facts import ConfigFacts

        if output_format not in ("text", "json"):
            raise InputError(f"unknown format {output_format!r} (use text or json)")
        tree = tree or load_config(config).tree
        if tree is None:
            raise InputError(
                "flags needs a tree: --tree DIR or `tree` in .patchcheck.toml; try 'patchcheck flags --help'"
            )
        source = open_flag_tree(tree, rev)
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
            typer.echo(render_text(rows, width=shutil.get_terminal_size().columns))
        raise typer.Exit(0)
