from __future__ import annotations

import io

from patchcheck.report.finding import Report
from patchcheck.report.render import render
from patchcheck.report.style import Painter
from patchcheck.report.summary import SeriesSummary


def rendered(report: Report, fmt: str, **kwargs: object) -> str:
    out = io.StringIO()
    render(report, fmt, out, **kwargs)  # type: ignore[arg-type]
    return out.getvalue()


def test_text_groups_by_patch_in_order_with_summary_and_totals(
    report: Report, summary: SeriesSummary
) -> None:
    text = rendered(report, "text", summary=summary)
    lines = text.splitlines()
    assert lines[0] == "v2 of 'mm: add VM_DEMO', 2 patches, 3 files, +20 -1"
    # series-wide findings first, then patch 1, then patch 2 sorted by line
    assert lines.index("series") < lines.index("patch 1/5: mm: add VM_DEMO")
    assert lines.index("patch 1/5: mm: add VM_DEMO") < lines.index("patch 2/5: proc: show VM_DEMO")
    p2 = lines.index("patch 2/5: proc: show VM_DEMO")
    assert lines[p2 + 1] == (
        "  fs/proc/task_mmu.c:38: error: VM_DEMO is a bit under CONFIG_PPC32 but its mnemonic "
        "needs CONFIG_64BIT [PC201]"
    )
    assert lines[p2 + 2] == "      fix: use the definition's guard"
    assert lines[p2 + 3].startswith("  fs/proc/task_mmu.c:40: warning: mnemonic 'dm' of VM_DEMO")
    assert "skipped: PC401 needs mm/rmap.c, absent from the tree" in lines
    assert lines[-1] == "total: 1 error, 1 warning, 1 unresolved, 1 note"
    assert "evidence:" not in text  # only with explain
    assert "\x1b[" not in text


def test_many_skipped_checks_are_one_line_unless_explained() -> None:
    report = Report(skipped=[f"PC60{i} x-rule: needs mm/f{i}.c, absent from the tree" for i in range(5)])
    assert rendered(report, "text").splitlines() == [
        "skipped 5 checks (PC600 PC601 PC602 PC603 PC604): --explain says why",
        "total: 0 errors, 0 warnings, 0 unresolved",
    ]
    explained = rendered(report, "text", explain=True).splitlines()
    assert explained[0] == "skipped: PC600 x-rule: needs mm/f0.c, absent from the tree"
    assert len(explained) == 6


def test_text_explain_shows_evidence(report: Report, summary: SeriesSummary) -> None:
    text = rendered(report, "text", summary=summary, explain=True)
    assert "      evidence: definition: CONFIG_64BIT || CONFIG_PPC32" in text.splitlines()


def test_text_quiet_is_silent_when_clean_and_findings_only_otherwise(
    report: Report, summary: SeriesSummary
) -> None:
    assert rendered(Report(skipped=["x"]), "text", summary=summary, quiet=True) == ""
    noisy = rendered(report, "text", summary=summary, quiet=True)
    assert "total:" not in noisy and "skipped:" not in noisy and "v2 of" not in noisy
    assert "[PC201]" in noisy


def test_text_clean_without_anything_to_say_prints_nothing() -> None:
    assert rendered(Report(), "text") == ""


def test_colour_marks_only_the_severity_word(report: Report) -> None:
    text = rendered(report, "text", painter=Painter(True))
    assert "\x1b[1;31merror\x1b[0m" in text
    assert "\x1b[33mwarning\x1b[0m" in text


def test_terse_is_checkpatch_shaped(report: Report) -> None:
    assert rendered(report, "terse").splitlines() == [
        "-: INFO: series adds one flag [PC998]",
        "include/linux/mm.h: UNRESOLVED: guard uses unknown symbol CONFIG_FOO [PC999]",
        "fs/proc/task_mmu.c:38: ERROR: VM_DEMO is a bit under CONFIG_PPC32 but its mnemonic needs "
        "CONFIG_64BIT [PC201]",
        "fs/proc/task_mmu.c:40: WARNING: mnemonic 'dm' of VM_DEMO is not documented [PC301]",
    ]


def test_text_names_the_flag_when_the_message_does_not() -> None:
    from patchcheck.report.finding import Finding, Location, Severity

    finding = Finding("PC1", Severity.ERROR, "bit 37 needs 64BIT", Location("a.h", 2), "VM_X")
    report = Report(findings=[finding])
    assert rendered(report, "text", quiet=True) == "a.h:2: error: VM_X: bit 37 needs 64BIT [PC1]\n"


def test_control_characters_from_hostile_input_are_escaped() -> None:
    """A mnemonic or path taken from a mail must not drive the reader's terminal."""
    from io import StringIO

    from patchcheck.report.finding import Finding, Location, Report, Severity
    from patchcheck.report.text import render_terse

    evil = Finding("PC401", Severity.WARNING, 'mnemonic "\x1b[2J\x07" is odd', Location("fs/\x1bx.c", 3))
    out = StringIO()
    render_terse(Report(findings=[evil]), out)
    line = out.getvalue()
    assert "\x1b" not in line and "\x07" not in line
    assert line == 'fs/\\x1bx.c:3: WARNING: mnemonic "\\x1b[2J\\x07" is odd [PC401]\n'


def test_a_finding_is_one_line_and_a_quoted_line_keeps_its_spaces() -> None:
    """Line breaks (any of them) and tabs become one space; a hint quoting a table row keeps its columns."""
    from patchcheck.report.finding import Finding, Location, Severity

    hint = "Add a line `    lf    <description>` to the VmFlags table"
    for message in ("two\nlines", "two \r\n\t lines", "two\u2028lines", "two\tlines"):
        finding = Finding("PC401", Severity.WARNING, message, Location("a.rst", 1), "VM_X", hint)
        text = rendered(Report(findings=[finding]), "text", quiet=True)
        assert text == f"a.rst:1: warning: VM_X: two lines [PC401]\n    fix: {hint}\n", text
