"""One entry point for every output format: `render(report, fmt, out, summary=..., catalogue=...)`."""

from __future__ import annotations

from typing import TextIO

from patchcheck.report.b4 import render_b4_review
from patchcheck.report.finding import Report
from patchcheck.report.formats import OutputFormat, parse_format
from patchcheck.report.jsonout import render_json
from patchcheck.report.policy import FailOn
from patchcheck.report.sarif import render_sarif
from patchcheck.report.style import PLAIN, Painter
from patchcheck.report.summary import Catalogue, SeriesSummary
from patchcheck.report.text import render_b4_check, render_terse, render_text


def render(
    report: Report,
    fmt: OutputFormat | str,
    out: TextIO,
    *,
    summary: SeriesSummary | None = None,
    catalogue: Catalogue | None = None,
    fail_on: FailOn = FailOn.ERROR,
    painter: Painter = PLAIN,
    quiet: bool = False,
    explain: bool = False,
) -> None:
    """Write `report` to `out`. Only `text` uses colour, `quiet` and `explain`; the machine formats are
    complete whatever the flags say."""
    fmt = parse_format(fmt) if isinstance(fmt, str) else fmt
    if fmt is OutputFormat.TEXT:
        render_text(report, out, summary=summary, painter=painter, quiet=quiet, explain=explain)
    elif fmt is OutputFormat.TERSE:
        render_terse(report, out)
    elif fmt is OutputFormat.JSON:
        render_json(report, out, summary=summary, catalogue=catalogue, fail_on=fail_on)
    elif fmt is OutputFormat.SARIF:
        render_sarif(report, out, summary=summary, catalogue=catalogue)
    elif fmt is OutputFormat.B4:
        render_b4_check(report, out, fail_on=fail_on)
    else:
        render_b4_review(report, out, fail_on=fail_on)
