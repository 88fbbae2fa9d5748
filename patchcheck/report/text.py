"""Line-oriented renderings: text for people, terse for editors and CI logs, b4's per-patch check lines."""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import groupby
from typing import TextIO

from patchcheck.report.finding import Finding, Report, Severity
from patchcheck.report.policy import FailOn, severity_counts
from patchcheck.report.style import PLAIN, Painter
from patchcheck.report.summary import SeriesSummary


def where(finding: Finding) -> str:
    """`FILE:LINE`, `FILE` when the line is unknown, `-` when the finding has no place in a file."""
    loc = finding.location
    if loc is None:
        return "-"
    path = printable(loc.path)
    return f"{path}:{loc.line}" if loc.line is not None else path


# C0 and C1 control characters (escape sequences among them) and DEL; tab and newline are folded by one_line.
# Lone surrogates too: an undecodable byte of mail or tree (kept as U+DC80..U+DCFF) is shown as \xNN, and
# no terminal encoding can carry them.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# The same byte after a rule quoted the text with repr(): \udce9 is shown as \xe9 as well.
_REPR_BYTE = re.compile(r"\\udc([89a-f][0-9a-f])")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}" if code > 0xFF else f"\\x{code:02x}"


def printable(text: str) -> str:
    """Mail and trees are hostile: a mnemonic or subject may carry terminal escapes or undecodable bytes.
    Show them as \\xNN."""
    return _REPR_BYTE.sub(r"\\x\1", _CONTROL.sub(_escape, text))


def without_surrogates(text: str) -> str:
    """`text` as valid Unicode (for JSON and SARIF): an undecodable byte becomes the four characters \\xNN."""
    return _REPR_BYTE.sub(r"\\x\1", _SURROGATE.sub(_escape, text))


# A line break with the blanks around it, or a tab: one space. Runs of spaces are kept (a fix hint may quote a
# line whose indentation matters: `    lf    <description>`).
_BREAK = re.compile(r"[ \t]*[\r\n\v\f\x1c-\x1e\x85\u2028\u2029][\s]*|\t+")


def one_line(text: str) -> str:
    """Findings are one line each in every line-oriented format, whatever a rule put in its message."""
    return printable(_BREAK.sub(" ", text).strip())


def sorted_findings(report: Report) -> list[Finding]:
    return sorted(report.findings, key=Finding.sort_key)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def totals_line(report: Report) -> str:
    counts = severity_counts(report)
    parts = [
        _plural(counts[Severity.ERROR], "error"),
        _plural(counts[Severity.WARNING], "warning"),
        f"{counts[Severity.UNRESOLVED]} unresolved",
    ]
    if counts[Severity.INFO]:
        parts.append(_plural(counts[Severity.INFO], "note"))
    return "total: " + ", ".join(parts)


def render_text(
    report: Report,
    out: TextIO,
    *,
    summary: SeriesSummary | None = None,
    painter: Painter = PLAIN,
    quiet: bool = False,
    explain: bool = False,
) -> None:
    """Grouped by patch, like checkpatch. `quiet` prints only the findings the series is answerable for (not
    the gaps a table it edits already had), so a clean run prints nothing."""
    summary = summary or SeriesSummary()
    if not quiet:
        for line in summary.lines:
            out.write(printable(line) + "\n")
    findings = [f for f in sorted_findings(report) if not (quiet and f.pre_existing)]
    for patch, group in groupby(findings, key=lambda f: f.patch):
        if patch is not None:
            out.write("\n" + painter.bold(one_line(summary.patch_label(patch))) + "\n")
        elif summary.patches:
            out.write("\n" + painter.bold("series") + "\n")
        indent = "  " if (patch is not None or summary.patches) else ""
        for finding in group:
            _write_finding(out, finding, painter, indent, explain)
    if quiet:
        return
    _write_skipped(out, report.skipped, painter, explain)
    for note in report.notes:
        out.write(f"note: {one_line(note)}\n")
    if findings or summary.lines or report.skipped:
        out.write(totals_line(report) + "\n")


SKIPPED_SHOWN = 3  # more skipped checks than this are listed by id only, unless --explain


def _write_skipped(out: TextIO, skipped: list[str], painter: Painter, explain: bool) -> None:
    if explain or len(skipped) <= SKIPPED_SHOWN:
        for entry in skipped:
            out.write(painter.dim(f"skipped: {one_line(entry)}") + "\n")
        return
    ids = " ".join(sorted(entry.split(" ", 1)[0] for entry in skipped))
    out.write(painter.dim(f"skipped {len(skipped)} checks ({ids}): --explain says why") + "\n")


def _write_finding(out: TextIO, finding: Finding, painter: Painter, indent: str, explain: bool) -> None:
    sev = painter.severity(finding.severity)
    flag = f" {finding.flag}:" if finding.flag and finding.flag not in finding.message else ""
    out.write(f"{indent}{where(finding)}: {sev}:{flag} {one_line(finding.message)} [{finding.rule_id}]\n")
    if finding.hint:
        out.write(f"{indent}    fix: {one_line(finding.hint)}\n")
    if explain:
        for fact in finding.evidence:
            out.write(f"{indent}    evidence: {one_line(fact)}\n")


def terse_line(finding: Finding, severity_word: str | None = None) -> str:
    word = severity_word if severity_word is not None else finding.severity.value.upper()
    return f"{where(finding)}: {word}: {one_line(finding.message)} [{finding.rule_id}]"


def render_terse(report: Report, out: TextIO) -> None:
    """`FILE:LINE: SEVERITY: MESSAGE [RULE]`, one per line, nothing else (as checkpatch --terse)."""
    for finding in sorted_findings(report):
        out.write(terse_line(finding) + "\n")


def b4_severity_word(finding: Finding, fail_on: FailOn) -> str | None:
    """b4 fails a patch on any line containing `ERROR:` and warns on every other line. A gap the edited table
    already had is not the patch's: no line (the text and JSON reports keep it)."""
    if finding.pre_existing:
        return None
    if fail_on.fails_on(finding):
        return "ERROR"
    if finding.severity is Severity.WARNING:
        return "WARNING"
    if finding.severity is Severity.UNRESOLVED:
        return "CHECK"
    return None  # info: not worth a line in someone's b4 output


def b4_lines(report: Report, fail_on: FailOn) -> Iterable[str]:
    for finding in sorted_findings(report):
        word = b4_severity_word(finding, fail_on)
        if word is not None:
            yield terse_line(finding, word)


def render_b4_check(report: Report, out: TextIO, *, fail_on: FailOn = FailOn.ERROR) -> None:
    """b4's prep/am per-patch check: nothing at all when clean, one line per finding otherwise."""
    for line in b4_lines(report, fail_on):
        out.write(line + "\n")
