"""`patchcheck audit --tree DIR [--flag VM_X] [--format FORMAT]`: every built-in rule (registry rules and
rule packs) on one tree."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from patchcheck.cli.options import (
    AuditQuietOption,
    ColorOption,
    ConfigOption,
    DisableOption,
    ExplainOption,
    FailOnOption,
    FormatOption,
    TerseOption,
    emit,
    output_options,
)
from patchcheck.errors import InputError

if TYPE_CHECKING:
    from patchcheck.report.finding import Report
    from patchcheck.rules.auditmemo import AuditMemo
    from patchcheck.rules.base import RuleDoc
    from patchcheck.source.tree import SourceTree

_FLAG = re.compile(r"VM_[A-Z0-9_]+")


def register(app: typer.Typer) -> None:
    @app.command("audit")
    def audit(
        tree: Annotated[Path | None, typer.Option("--tree", metavar="DIR", help="A kernel tree.")] = None,
        rev: Annotated[
            str | None, typer.Option("--rev", metavar="REV", help="Read the tree at this git revision.")
        ] = None,
        flag: Annotated[
            list[str] | None, typer.Option("--flag", metavar="VM_X", help="Only this flag (repeatable).")
        ] = None,
        rules: Annotated[
            list[Path] | None, typer.Option("--rules", metavar="PATH", help="Also load these packs.")
        ] = None,
        format: FormatOption = None,
        terse: TerseOption = False,
        quiet: AuditQuietOption = False,
        fail_on: FailOnOption = None,
        disable: DisableOption = None,
        config: ConfigOption = None,
        color: ColorOption = "auto",
        explain: ExplainOption = False,
    ) -> None:
        """Check that every VM_* flag's definition, smaps mnemonic, trace name, documentation and Kconfig
        symbols agree in every configuration, and that the semantic sites of the rule packs test them."""
        from patchcheck.cli.trees import open_flag_tree, outside_links, outside_notes
        from patchcheck.rules.auditmemo import AuditMemo

        opts = output_options(
            format=format,
            terse=terse,
            quiet=quiet,
            fail_on=fail_on,
            disable=disable,
            config=config,
            color=color,
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
        pack_dirs = [*opts.config.rules, *(rules or [])]
        selected = frozenset(flag) if flag else None
        memo = AuditMemo.of(source, selected, pack_dirs)
        kept = memo.recall() if memo is not None else None
        if kept is not None:
            report, catalogue, outside = kept.report, kept.catalogue, kept.outside
        else:
            report, catalogue = _audit(source, selected, pack_dirs, memo)
            outside = outside_links(source)
        # Worded here, not kept: what the notes say is this code's, whatever the cache holds.
        report.notes += outside_notes(outside)
        raise typer.Exit(emit(report, opts, catalogue=catalogue, explain=explain))


def _audit(
    source: SourceTree, flags: frozenset[str] | None, pack_dirs: list[Path], memo: AuditMemo | None
) -> tuple[Report, tuple[RuleDoc, ...]]:
    """Run the audit (and keep its report in `memo`)."""
    from patchcheck.rules.catalogue import all_rule_docs
    from patchcheck.rules.engine import audit as run_audit
    from patchcheck.rules.engine import builtin_checkers

    started = time.time_ns()
    if memo is not None:
        memo.start()
    if flags:  # before the audit runs: a typo costs no whole-tree run
        known = _known_flags(source)
        unknown = sorted(f for f in flags if f not in known)
        if unknown:
            raise InputError(f"--flag: {', '.join(unknown)} is not defined in include/linux/mm.h")
    report = run_audit(source, flags=flags, checkers=builtin_checkers(pack_dirs), parallel=True)
    catalogue = all_rule_docs(pack_dirs)
    if memo is not None:
        memo.keep(report, catalogue, since_ns=started)
    return report, catalogue


def _known_flags(tree: SourceTree) -> set[str]:
    from patchcheck.model import load_flag_model

    return set(load_flag_model(tree).flags)
