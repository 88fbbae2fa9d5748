"""`patchcheck rules [ID]`: the rule catalogue, ruff-style."""

from __future__ import annotations

import json
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
        rule: Annotated[str | None, typer.Argument(help="A rule id (PC201) or name to explain.")] = None,
        rules_dir: Annotated[
            list[Path] | None,
            typer.Option("--rules", help="Also load the rule packs in this file or directory."),
        ] = None,
        fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
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
            typer.echo(explain(docs[0]))
        else:
            typer.echo(listing(docs))
        raise typer.Exit(0)


def listing(docs: list[RuleDoc]) -> str:
    width = max((len(d.name) for d in docs), default=0)
    lines = [f"{d.id:<6} {d.name:<{width}}  {d.severity.value:<10} {d.summary}" for d in docs]
    return "\n".join(lines)


def explain(doc: RuleDoc) -> str:
    def para(text: str) -> str:
        return "\n".join(textwrap.fill(p, 100) for p in text.split("\n\n"))

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
    if doc.scope:
        parts += ["## Field guide", f"Covers field-guide rules {', '.join(doc.scope)}.", ""]
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
