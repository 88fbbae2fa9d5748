from __future__ import annotations

import pytest

from patchcheck.errors import InputError
from patchcheck.report.finding import Finding, Report, Severity
from patchcheck.report.policy import (
    FailOn,
    exit_status,
    parse_fail_on,
    resolve_disabled,
    without_disabled,
)
from patchcheck.rules.base import RuleDoc


def only(severity: Severity) -> Report:
    return Report(findings=[Finding("PC1", severity, "m")])


@pytest.mark.parametrize(
    ("severity", "fail_on", "status"),
    [
        (Severity.ERROR, FailOn.ERROR, 1),
        (Severity.WARNING, FailOn.ERROR, 0),
        (Severity.WARNING, FailOn.WARNING, 1),
        (Severity.UNRESOLVED, FailOn.WARNING, 0),
        (Severity.INFO, FailOn.WARNING, 0),
    ],
)
def test_exit_status_follows_fail_on(severity: Severity, fail_on: FailOn, status: int) -> None:
    assert exit_status(only(severity), fail_on) == status


def test_clean_report_exits_zero() -> None:
    assert exit_status(Report(), FailOn.WARNING) == 0


def test_bad_fail_on_is_input_error() -> None:
    with pytest.raises(InputError, match="'fatal' is not one of error, warning"):
        parse_fail_on("fatal")


def test_disable_by_id_or_name_and_reject_unknown(report: Report, catalogue: tuple[RuleDoc, ...]) -> None:
    disabled = resolve_disabled(["smaps-guard-mismatch,pc301"], catalogue)
    assert disabled == {"PC201", "PC301"}
    kept = without_disabled(report, disabled)
    assert {f.rule_id for f in kept.findings} == {"PC999", "PC998"}
    assert any("2 finding(s) of disabled rules" in n for n in kept.notes)
    assert exit_status(kept) == 0 and exit_status(report) == 1
    with pytest.raises(InputError, match="unknown rule"):
        resolve_disabled(["PC000"], catalogue)


def test_disable_without_catalogue_trusts_ids(report: Report) -> None:
    assert {f.rule_id for f in without_disabled(report, resolve_disabled(["PC201"], None)).findings} == {
        "PC301",
        "PC999",
        "PC998",
    }
