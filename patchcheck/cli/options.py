"""Options every reporting command shares (--format, --quiet, --fail-on, --disable, --config, --color),
merged with the configuration file, and the one call that renders a report and picks the exit status.

A command declares the options it wants with these annotated types and ends with::

    opts = output_options(format=format, quiet=quiet, fail_on=fail_on, disable=disable,
                          config=config, color=color)
    raise typer.Exit(emit(report, opts, summary=summary, catalogue=catalogue))
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from patchcheck.errors import InputError

if TYPE_CHECKING:  # the reporting layer loads when a command runs, not for --help or --version
    from patchcheck.config import Config
    from patchcheck.report.finding import Report
    from patchcheck.report.formats import OutputFormat
    from patchcheck.report.policy import FailOn
    from patchcheck.report.style import ColorMode
    from patchcheck.report.summary import Catalogue, SeriesSummary

# Spelled out so that building the command line does not load the renderers; a test keeps it in step.
FORMAT_NAMES = ("text", "terse", "json", "sarif", "b4", "b4-review")
FORMAT_HELP = "Output format: " + ", ".join(FORMAT_NAMES) + " (default text)."

FormatOption = Annotated[str | None, typer.Option("--format", "-f", help=FORMAT_HELP, metavar="FORMAT")]
TerseOption = Annotated[
    bool, typer.Option("--terse", help="One line per finding, as checkpatch --terse (--format terse).")
]
QuietOption = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="Print only the findings the series is answerable for (not the tree's old gaps): no summary, "
        "notes or progress, and nothing at all when there are none.",
    ),
]
AuditQuietOption = Annotated[
    bool,
    typer.Option(
        "--quiet", "-q", help="Print only the findings: no summary, notes or progress (nothing when none)."
    ),
]
FailOnOption = Annotated[
    str | None,
    typer.Option(
        "--fail-on",
        help="Exit 1 on findings of this severity or worse: error (default), warning.",
        metavar="SEVERITY",
    ),
]
DisableOption = Annotated[
    list[str] | None,
    typer.Option(
        "--disable", help="Drop findings of this rule (id or name; repeat or comma-separate).", metavar="RULE"
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", help="Settings file (default: .patchcheck.toml or pyproject.toml upward).", metavar="FILE"
    ),
]
ExplainOption = Annotated[
    bool, typer.Option("--explain", help="Show each finding's evidence and why checks were skipped.")
]
ColorOption = Annotated[
    str,
    typer.Option(
        "--color", "--colour", help="Colour: auto (terminal, no NO_COLOR), always, never.", metavar="WHEN"
    ),
]


@dataclass(frozen=True)
class OutputOptions:
    format: OutputFormat
    quiet: bool
    fail_on: FailOn
    disable: tuple[str, ...]
    color: ColorMode
    config: Config

    @property
    def default_tree(self) -> Path | None:
        return self.config.tree


def parse_color(value: str) -> ColorMode:
    from patchcheck.report.style import ColorMode

    try:
        return ColorMode(value.strip().lower())
    except ValueError:
        raise InputError(f"--color: {value!r} is not one of auto, always, never") from None


def output_options(
    *,
    format: str | None = None,
    terse: bool = False,
    quiet: bool = False,
    fail_on: str | None = None,
    disable: list[str] | None = None,
    config: Path | None = None,
    color: str = "auto",
) -> OutputOptions:
    """Command-line values win over the settings file; `--disable` adds to the file's list. `--terse` is
    `--format terse`."""
    from patchcheck.config import load_config
    from patchcheck.report.formats import OutputFormat, parse_format
    from patchcheck.report.policy import FailOn, parse_fail_on
    from patchcheck.report.progress import set_progress_enabled

    if terse:
        if format and format.strip().lower() != "terse":
            raise InputError(f"--terse and --format {format}: give one of them")
        format = "terse"
    settings = load_config(config)
    if quiet:
        set_progress_enabled(False)
    return OutputOptions(
        format=parse_format(format) if format else (settings.format or OutputFormat.TEXT),
        quiet=quiet,
        fail_on=parse_fail_on(fail_on) if fail_on else (settings.fail_on or FailOn.ERROR),
        disable=settings.disable + tuple(disable or ()),
        color=parse_color(color),
        config=settings,
    )


def emit(
    report: Report,
    opts: OutputOptions,
    *,
    summary: SeriesSummary | None = None,
    catalogue: Catalogue | None = None,
    explain: bool = False,
    out: TextIO | None = None,
) -> int:
    """Drop disabled rules, render in the chosen format, and return the exit status (0 clean, 1 findings)."""
    from patchcheck.report.policy import exit_status, resolve_disabled, without_disabled
    from patchcheck.report.render import render
    from patchcheck.report.style import Painter, colour_enabled

    stream = out if out is not None else sys.stdout
    report = without_disabled(report, resolve_disabled(opts.disable, catalogue))
    render(
        report,
        opts.format,
        stream,
        summary=summary,
        catalogue=catalogue,
        fail_on=opts.fail_on,
        painter=Painter(colour_enabled(stream, opts.color)),
        quiet=opts.quiet,
        explain=explain,
    )
    return exit_status(report, opts.fail_on)
