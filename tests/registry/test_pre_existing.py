"""A series that edits a registry table is told about the table's gaps that predate it: pre-existing,
one severity lower. A series that does not edit the table hears nothing about them."""

from __future__ import annotations

import dataclasses

import pytest

from patchcheck.report.finding import Finding, Report, Severity
from patchcheck.report.policy import FailOn, exit_status
from patchcheck.rules.engine import verify_states
from patchcheck.rules.registry import registry_checkers
from patchcheck.source.tree import OverlayTree, SourceTree, read_text
from tests.registry.conftest import scenario_tree

PROC = "Documentation/filesystems/proc.rst"
GAPS = {
    "VM_DROPPABLE": "    dp    drop on memory pressure\n",
    "VM_SHADOW_STACK": "    ss    shadow stack page\n",
}


def with_gap(flag: str) -> SourceTree:
    """The base tree whose proc.rst lacks the flag's line: a gap before any series."""
    base = scenario_tree("base")
    text = read_text(base, PROC)
    assert text is not None and GAPS[flag] in text
    return OverlayTree(base, {PROC: text.replace(GAPS[flag], "").encode()})


def edit_proc(tree: SourceTree, old: str, new: str) -> SourceTree:
    text = read_text(tree, PROC)
    assert text is not None and old in text
    return OverlayTree(tree, {PROC: text.replace(old, new).encode()})


def run(*states: SourceTree) -> list[Finding]:
    return verify_states(list(states), checkers=registry_checkers()).findings


@pytest.mark.parametrize("flag", sorted(GAPS))
def test_a_gap_in_the_table_the_series_edits_is_reported_as_pre_existing(flag: str) -> None:
    before = with_gap(flag)
    after = edit_proc(before, "    sl    sealed\n", "    sl    sealed (mseal)\n    gx    made-up code\n")
    gaps = [f for f in run(before, after) if f.flag == flag]
    assert [(f.rule_id, f.severity) for f in gaps] == [("PC401", Severity.INFO)]
    assert gaps[0].message.endswith("(pre-existing)") and gaps[0].patch == 1
    assert any("pre-existing" in e for e in gaps[0].evidence)


@pytest.mark.parametrize("flag", sorted(GAPS))
def test_a_series_that_does_not_edit_the_table_is_not_told(flag: str) -> None:
    before = with_gap(flag)
    prose = edit_proc(before, "Note that there is no guarantee", "Note: there is no guarantee")
    assert [f for f in run(before, prose) if f.flag == flag] == []


def test_a_pre_existing_gap_never_fails_a_run() -> None:
    """`--fail-on warning` in a hook must not block a patch for a gap it did not cause: a pre-existing
    error shown as a warning (PC201, say) is still marked, and no threshold counts it."""
    before = with_gap("VM_DROPPABLE")
    after = edit_proc(before, "    sl    sealed\n", "    sl    sealed (mseal)\n")
    gaps = [f for f in run(before, after) if f.flag == "VM_DROPPABLE"]
    assert gaps and all(f.pre_existing for f in gaps)
    lifted = [dataclasses.replace(f, severity=Severity.ERROR) for f in gaps]  # the worst it could be
    for fail_on in FailOn:
        assert exit_status(Report(findings=lifted), fail_on) == 0
    fresh = [dataclasses.replace(f, pre_existing=False) for f in lifted]
    assert exit_status(Report(findings=fresh), FailOn.ERROR) == 1


@pytest.mark.parametrize("flag", sorted(GAPS))
def test_quiet_text_leaves_out_what_the_series_is_not_answerable_for(flag: str) -> None:
    """`--quiet` (and the hooks) print nothing for a clean patch to a table with old gaps; the full text and
    the machine formats still show them."""
    import io

    from patchcheck.report.text import render_text

    before = with_gap(flag)
    after = edit_proc(before, "    sl    sealed\n", "    sl    sealed (mseal)\n")
    report = Report(findings=run(before, after))
    assert report.findings and all(f.pre_existing for f in report.findings)
    quiet, full = io.StringIO(), io.StringIO()
    render_text(report, quiet, quiet=True)
    render_text(report, full)
    assert quiet.getvalue() == "" and "(pre-existing)" in full.getvalue()


def test_b4_checks_leave_out_what_the_patch_did_not_cause() -> None:
    """b4 marks a patch "warn" for any line: a clean patch to a table with old gaps gets none."""
    import io
    import json

    from patchcheck.report.b4 import render_b4_review
    from patchcheck.report.text import render_b4_check

    before = with_gap("VM_DROPPABLE")
    after = edit_proc(before, "    sl    sealed\n", "    sl    sealed (mseal)\n")
    found = run(before, after)
    lifted = [dataclasses.replace(f, severity=Severity.WARNING) for f in found]  # as a PC201 gap shows
    report = Report(findings=lifted)
    assert lifted and all(f.pre_existing for f in lifted)
    check, review = io.StringIO(), io.StringIO()
    render_b4_check(report, check)
    render_b4_review(report, review)
    assert check.getvalue() == "" and json.loads(review.getvalue())[0]["status"] == "pass"
