"""`patchcheck verify SERIES [--tree DIR]`: read a series, apply it in memory, report every flag site it
leaves inconsistent, with the patch that did."""

from __future__ import annotations

import dataclasses
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
    TerseOption,
    emit,
    output_options,
)
from patchcheck.errors import InputError

if TYPE_CHECKING:  # the layers below load when the command runs, not for --help or other commands
    from patchcheck.intake import AppliedState, Series
    from patchcheck.intake.resolve import Resolved
    from patchcheck.report.finding import Report
    from patchcheck.report.summary import SeriesSummary
    from patchcheck.source.tree import SourceTree

SeriesArg = Annotated[
    str, typer.Argument(metavar="SERIES", help="mbox or patch file, directory of .patch files, or - (stdin)")
]
TreeOpt = Annotated[
    Path | None, typer.Option("--tree", metavar="DIR", help="Kernel tree (may be partial) to apply to.")
]
RevOpt = Annotated[
    str | None, typer.Option("--rev", metavar="REV", help="Read the tree at this git revision, no checkout.")
]
RerollOpt = Annotated[
    int | None,
    typer.Option(
        "--reroll-count",
        "-v",
        min=1,
        metavar="N",
        help="Series version, as git format-patch -v N (default: newest).",
    ),
]
WhitespaceOpt = Annotated[bool, typer.Option("--ignore-whitespace", help="Ignore whitespace in context.")]
StrictOpt = Annotated[
    bool, typer.Option("--strict", help="An incomplete or mixed-version series is an error (hook mode).")
]
MaxInputOpt = Annotated[
    str | None,
    typer.Option(
        "--max-input-size", metavar="SIZE", help="Read at most this much mail (default 64M; e.g. 200M, 1G)."
    ),
]
FuzzOpt = Annotated[
    int,
    typer.Option(
        "--fuzz",
        min=0,
        metavar="N",
        show_default=False,
        help="Let a hunk ignore up to N lines of its leading and trailing context, as GNU patch (default 0).",
    ),
]
RulesOpt = Annotated[
    list[Path] | None, typer.Option("--rules", metavar="PATH", help="Also load the rule packs here.")
]


def register(app: typer.Typer) -> None:
    @app.command("verify")
    def verify(
        series: SeriesArg,
        tree: TreeOpt = None,
        rev: RevOpt = None,
        reroll_count: RerollOpt = None,
        ignore_whitespace: WhitespaceOpt = False,
        strict: StrictOpt = False,
        fuzz: FuzzOpt = 0,
        rules: RulesOpt = None,
        format: FormatOption = None,
        terse: TerseOption = False,
        quiet: QuietOption = False,
        fail_on: FailOnOption = None,
        disable: DisableOption = None,
        config: ConfigOption = None,
        color: ColorOption = "auto",
        explain: ExplainOption = False,
        max_input_size: MaxInputOpt = None,
    ) -> None:
        """Apply a patch series in memory and report every VM_* flag site it leaves inconsistent."""
        from patchcheck.cli.trees import containment_notes, open_tree, require_kernel_tree
        from patchcheck.intake import load_series
        from patchcheck.intake.limits import set_max_input
        from patchcheck.intake.resolve import fit_strip_level, resolve
        from patchcheck.rules.catalogue import all_rule_docs
        from patchcheck.rules.engine import builtin_checkers, verify_series
        from patchcheck.source.tree import EmptyTree

        opts = output_options(
            format=format,
            terse=terse,
            quiet=quiet,
            fail_on=fail_on,
            disable=disable,
            config=config,
            color=color,
        )
        if max_input_size is not None:
            set_max_input(max_input_size)
        loaded = load_series(series, version=reroll_count)
        if refused := loaded.refused_parts():
            raise InputError(refused[0], details=refused[1:])
        if corrupt := loaded.corrupt_parts():
            raise InputError(f"corrupt patch: {corrupt[0]}", details=corrupt[1:])
        if strict and (problems := loaded.strict_problems()):
            raise InputError(f"incomplete series: {problems[0]}", details=problems[1:])
        source_tree = opened = open_tree(tree or opts.default_tree, rev)
        loaded = fit_strip_level(loaded, source_tree)
        require_kernel_tree(source_tree, loaded.files)
        resolved = resolve(loaded, source_tree, ignore_whitespace=ignore_whitespace, fuzz=fuzz)
        source_tree, states = resolved.tree, resolved.states
        pack_dirs = [*opts.config.rules, *(rules or [])]
        report = verify_series(
            loaded,
            None if isinstance(source_tree, EmptyTree) else source_tree,
            ignore_whitespace=ignore_whitespace,
            checkers=builtin_checkers(pack_dirs),
            applied=states,
            parallel=True,
        )
        summary = series_summary(loaded, states, series, source_tree, resolved)
        report = by_subject_number(mark_fuzzed(report, states), loaded)
        report.notes += containment_notes(opened, source_tree)
        raise typer.Exit(
            emit(report, opts, summary=summary, catalogue=all_rule_docs(pack_dirs), explain=explain)
        )


def series_summary(
    series: Series,
    states: list[AppliedState],
    source: str,
    tree: SourceTree,
    resolved: Resolved | None = None,
) -> SeriesSummary:
    from patchcheck.intake.summary import render_text, summarize
    from patchcheck.report.summary import PatchRef, SeriesSummary
    from patchcheck.source.tree import EmptyTree

    label = None if isinstance(tree, EmptyTree) else tree.label
    data = summarize(series, states, label)
    if resolved is not None and label is not None:
        data["base"] = {
            "route": resolved.route,
            "base": resolved.base,
            "tried": list(resolved.tried),
            "fuzzed": resolved.fuzzed,
        }
    return SeriesSummary(
        lines=tuple(render_text(data).splitlines()),
        patches=tuple(PatchRef(p.counter, p.title, p.message_id) for p in series.patches),
        source=source,
        total=series.expected,
        data=data,
    )


def mark_fuzzed(report: Report, states: list[AppliedState]) -> Report:
    """A finding on a line of a hunk applied with fuzz says so: the context there was not what the patch
    expected, so the line may not sit where its author meant it."""
    marked = []
    for finding in report.findings:
        loc, state = finding.location, states[finding.patch - 1] if finding.patch else None
        change = state.changes.get(loc.path) if state is not None and loc is not None else None
        fuzz = change.fuzz_at(loc.line) if change is not None and loc is not None and loc.line else 0
        if fuzz:
            finding = dataclasses.replace(
                finding, message=f"{finding.message} (on a hunk applied with fuzz {fuzz}: check it by hand)"
            )
        marked.append(finding)
    report.findings = marked
    return report


def by_subject_number(report: Report, series: Series) -> Report:
    """The engine numbers patches by position among those present; people know them by [PATCH k/n]."""
    counters = [p.counter for p in series.patches]

    def renumber(position: int | None) -> int | None:
        return counters[position - 1] if position and 0 < position <= len(counters) else position

    report.findings = [dataclasses.replace(f, patch=renumber(f.patch)) for f in report.findings]
    return report
