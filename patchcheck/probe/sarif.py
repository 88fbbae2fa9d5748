"""SARIF 2.1.0 for probe reports: one rule per claim, one result per verdict, one run per kernel probed.

SARIF's result kinds fit the probe's statuses: a failed claim is a "fail" (level error); a claim whose key
condition was not exercised (partial) or that was not run (skipped) is "open", the analysis being incomplete;
a kernel without the feature is "notApplicable"; only "fail" carries a level other than "none" (SARIF 3.27.9).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from patchcheck import __version__
from patchcheck.probe.claims import CLAIMS, SERIES, Status
from patchcheck.probe.run import ProbeReport
from patchcheck.report.sarif import SARIF_SCHEMA_URI, SARIF_VERSION

RULE_PREFIX = "probe/"

_KIND: dict[Status, str] = {
    Status.PASS: "pass",
    Status.PARTIAL: "open",
    Status.FAIL: "fail",
    Status.UNSUPPORTED: "notApplicable",
    Status.SKIPPED: "open",
}


def _rules() -> list[dict[str, Any]]:
    return [
        {
            "id": RULE_PREFIX + claim.id,
            "name": claim.id,
            "shortDescription": {"text": claim.title},
            "fullDescription": {"text": f"{SERIES}: {claim.promise}"},
            "defaultConfiguration": {"level": "error"},
        }
        for claim in CLAIMS
    ]


def _run(report: ProbeReport, notes: Sequence[str] = ()) -> dict[str, Any]:
    index = {claim.id: i for i, claim in enumerate(CLAIMS)}
    results = []
    for verdict in report.verdicts:
        status = verdict.status
        result: dict[str, Any] = {
            "ruleId": RULE_PREFIX + verdict.claim,
            "kind": _KIND[status],
            "level": "error" if status is Status.FAIL else "none",
            "message": {"text": f"{status.value}: {verdict.evidence}"},
            "properties": {"status": status.value, "evidence": verdict.evidence},
        }
        if verdict.claim in index:
            result["ruleIndex"] = index[verdict.claim]
        results.append(result)
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if notes:
        invocation["toolExecutionNotifications"] = [
            {"level": "note", "message": {"text": note}} for note in notes
        ]
    kernel = {key: value for key, value in report.kernel.items() if key not in ("obs", "outcome")}
    return {
        "tool": {
            "driver": {
                "name": "patchcheck",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": _rules(),
            }
        },
        "invocations": [invocation],
        "results": results,
        "properties": {"kernel": kernel, "probed": report.probed},
    }


def to_sarif(reports: Sequence[tuple[ProbeReport, Sequence[str]]]) -> dict[str, Any]:
    """One SARIF log; each (report, boot notes) becomes a run."""
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [_run(report, notes) for report, notes in reports],
    }


def render_sarif(reports: Sequence[tuple[ProbeReport, Sequence[str]]]) -> str:
    return json.dumps(to_sarif(reports), indent=2) + "\n"
