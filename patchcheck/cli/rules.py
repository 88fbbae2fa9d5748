"""`patchcheck rules [ID]`: the rule catalogue, ruff-style."""

from __future__ import annotations

import json
import os
import shutil
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from patchcheck.errors import InputError

if TYPE_CHECKING:
    from patchcheck.rules.base import RuleDoc


def register(app: typer.Typer) -> None:
    @app.command("rules")
    def rules_(
        rule: Annotated[
            str | None, typer.Argument(metavar="RULE", help="A rule id (PC201) or name to explain.")
        ] = None,
        rules_dir: Annotated[
            list[Path] | None,
            typer.Option(
                "--rules", metavar="PATH", help="Also load the rule packs in this file or directory."
            ),
        ] = None,
        fmt: Annotated[str, typer.Option("--format", metavar="FORMAT", help="text or json.")] = "text",
    ) -> None:
        """List the rules, or print one rule's documentation."""
        if fmt not in ("text", "json"):
            raise InputError(f"--format: unknown format {fmt!r} (choose from text, json)")
        from patchcheck.rules.catalogue import all_rule_docs, lookup

        dirs = rules_dir or []
        docs = [lookup(rule, dirs)] if rule else list(all_rule_docs(dirs))
        if fmt == "json":
            typer.echo(json.dumps([_as_dict(d) for d in docs], indent=2))
        elif rule:
            typer.echo(explain(docs[0], min(_columns() or 100, 100)))
        else:
            typer.echo(listing(docs, _columns()))
        raise typer.Exit(0)


def _columns() -> int | None:
    """The width to fit: the terminal's, or $COLUMNS when set (asked for, even in a pipe); None (one line
    per rule, for grep) for a pipe without it."""
    if sys.stdout.isatty() or os.environ.get("COLUMNS", "").strip().isdigit():
        return shutil.get_terminal_size().columns
    return None


def listing(docs: list[RuleDoc], columns: int | None = None) -> str:
    """One row per rule; with `columns`, summaries wrap under their own column (at least 30 wide)."""
    width = max((len(d.name) for d in docs), default=0)
    lines = []
    for d in docs:
        head = f"{d.id:<6} {d.name:<{width}}  {d.severity.value:<10} "
        if columns is None:
            lines.append(head + d.summary)
            continue
        wrapped = textwrap.wrap(d.summary, max(columns - len(head), 30), break_on_hyphens=False) or [""]
        lines.append(head + wrapped[0])
        lines += [" " * len(head) + more for more in wrapped[1:]]
    return "\n".join(line.rstrip() for line in lines)


def explain(doc: RuleDoc, width: int = 100) -> str:
    def para(text: str) -> str:
        return "\n".join(textwrap.fill(p, max(width, 40)) for p in text.split("\n\n"))

    parts = [
        f"# {doc.name} ({doc.id})",
        "",
        f"Severity: {doc.severity.value}" + (" (decidable from the diffs alone)" if doc.diff_only else ""),
        "",
        "## What it does",
        para(doc.what),
        "",
        "## Why it matters",
        para(doc.why),
        "",
        "## Example",
        textwrap.indent(doc.example, "    "),
        "",
    ]
    if doc.fix:
        parts += ["## Fix", para(doc.fix), ""]
    if doc.needs:
        parts += ["## Needs", ", ".join(doc.needs) + " (skipped, never reported clean, when absent)", ""]
    if doc.origin != "builtin":
        parts += [f"Defined in {doc.origin}.", ""]
    return "\n".join(parts).rstrip()


def _as_dict(doc: RuleDoc) -> dict[str, object]:
    return {
        "id": doc.id,
        "name": doc.name,
        "severity": doc.severity.value,
        "summary": doc.summary,
        "what": doc.what,
        "why": doc.why,
        "example": doc.example,
        "fix": doc.fix,
        "scope": list(doc.scope),
        "needs": list(doc.needs),
        "diff_only": doc.diff_only,
        "origin": doc.origin,
    }
