"""`patchcheck audit --tree DIR [--flag VM_X] [--format FORMAT]`: every built-in rule (registry rules and
rule packs) on one tree."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from patchcheck.cli.options import (
    ColorOption,
    ConfigOption,
    DisableOption,
    ExplainOption,
    FailOnOption,
    FormatOption,
    QuietOption,
    emit,
    output_options,
)
from patchcheck.errors import InputError

if TYPE_CHECKING:
    from patchcheck.source.tree import SourceTree

_FLAG = re.compile(r"VM_[A-Z0-9_]+")


def register(app: typer.Typer) -> None:
    @app.command("audit")
    def audit(
        tree: Annotated[Path | None, typer.Option("--tree", help="A kernel tree.")] = None,
        rev: Annotated[str | None, typer.Option("--rev", help="Read the tree at this git revision.")] = None,
        flag: Annotated[list[str] | None, typer.Option("--flag", help="Only this flag (repeatable).")] = None,
        rules: Annotated[list[Path] | None, typer.Option("--rules", help="Also load these packs.")] = None,
        format: FormatOption = None,
        quiet: QuietOption = False,
        fail_on: FailOnOption = None,
        disable: DisableOption = None,
        config: ConfigOption = None,
        color: ColorOption = "auto",
        explain: ExplainOption = False,
    ) -> None:
        """Check that every VM_* flag's definition, smaps mnemonic, trace name, documentation and Kconfig
        symbols agree in every configuration, and that the semantic sites of the rule packs test them."""
        from patchcheck.cli.trees import containment_notes, open_flag_tree
        from patchcheck.rules.catalogue import all_rule_docs
        from patchcheck.rules.engine import audit as run_audit
        from patchcheck.rules.engine import builtin_checkers

        opts = output_options(
            format=format, quiet=quiet, fail_on=fail_on, disable=disable, config=config, color=color
        )
        flag = flag or []
        for name in flag:
            if not _FLAG.fullmatch(name):
                raise InputError(f"--flag: {name!r} is not a VM_* flag name")
        tree = tree or opts.default_tree
        if tree is None:
            raise InputError(
                "audit needs a tree: --tree DIR or `tree` in .patchcheck.toml; try 'patchcheck audit --help'"
            )
        source = open_flag_tree(tree, rev)
        if flag:  # before the audit runs: a typo costs no whole-tree run
            known = _known_flags(source)
            unknown = [f for f in flag if f not in known]
            if unknown:
                raise InputError(f"--flag: {', '.join(unknown)} is not defined in include/linux/mm.h")
        pack_dirs = [*opts.config.rules, *(rules or [])]
        report = run_audit(
            source,
            flags=frozenset(flag) if flag else None,
            checkers=builtin_checkers(pack_dirs),
            parallel=True,
        )
        report.notes += containment_notes(source)
        raise typer.Exit(emit(report, opts, catalogue=all_rule_docs(pack_dirs), explain=explain))


def _known_flags(tree: SourceTree) -> set[str]:
    from patchcheck.model import load_flag_model

    return set(load_flag_model(tree).flags)
