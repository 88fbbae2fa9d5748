"""`patchcheck verify SERIES`: read a patch series, apply it in memory to a tree, report what it changes."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from patchcheck.errors import EXIT_CLEAN, InputError
from patchcheck.intake.apply import apply_series
from patchcheck.intake.assemble import load_series
from patchcheck.intake.summary import render_text, summarize
from patchcheck.source.tree import DirectoryTree, EmptyTree, GitRevisionTree, SourceTree


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


def open_tree(tree: Path | None, rev: str | None) -> SourceTree:
    """The tree to apply to: none, a directory, or a git revision of a repository (default: here)."""
    if rev is not None:
        return GitRevisionTree(tree or Path("."), rev)
    if tree is None:
        return EmptyTree()
    if not tree.exists():
        raise InputError(f"tree {str(tree)!r} does not exist")
    return DirectoryTree(tree)


SeriesArg = Annotated[str, typer.Argument(help="mbox or patch file, directory of .patch files, or - (stdin)")]
TreeOpt = Annotated[Path | None, typer.Option("--tree", help="Kernel tree (may be partial) to apply to.")]
RevOpt = Annotated[str | None, typer.Option("--rev", help="Read the tree at this git revision, no checkout.")]
VersionOpt = Annotated[int | None, typer.Option(
    "--version", min=1, help="Series version (default: newest complete)."
)]
WhitespaceOpt = Annotated[bool, typer.Option("--ignore-whitespace", help="Ignore whitespace in context.")]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="text or json")]


def register(app: typer.Typer) -> None:
    @app.command("verify")
    def verify(
        series: SeriesArg,
        tree: TreeOpt = None,
        rev: RevOpt = None,
        version: VersionOpt = None,
        ignore_whitespace: WhitespaceOpt = False,
        output: FormatOpt = OutputFormat.text,
    ) -> None:
        """Read a patch series, apply it in memory and summarise it."""
        loaded = load_series(series, version=version)
        source_tree = open_tree(tree, rev)
        states = apply_series(loaded, source_tree, ignore_whitespace=ignore_whitespace)
        label = None if isinstance(source_tree, EmptyTree) else source_tree.label
        summary = summarize(loaded, states, label)
        if output is OutputFormat.json:
            typer.echo(json.dumps(summary, indent=2))
        else:
            typer.echo(render_text(summary))
        raise typer.Exit(EXIT_CLEAN)
