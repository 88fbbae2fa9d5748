"""The JSON report (schema: patchcheck/report/schema/report-v1.schema.json) and reading it back."""

from __future__ import annotations

import json
from typing import Any, TextIO

from patchcheck import __version__
from patchcheck.report.finding import Finding, Location, Report, Severity
from patchcheck.report.policy import FailOn, exit_status, severity_counts
from patchcheck.report.summary import Catalogue, PatchRef, SeriesSummary
from patchcheck.report.text import sorted_findings, without_surrogates

FORMAT_NAME = "patchcheck-report"
FORMAT_VERSION = 1
SCHEMA_RESOURCE = "report-v1.schema.json"


def schema() -> dict[str, Any]:
    """The JSON Schema the output of `to_json` satisfies (shipped inside the package)."""
    from importlib import resources  # only here: it imports tempfile, random and more at every start

    text = resources.files("patchcheck.report").joinpath("schema", SCHEMA_RESOURCE).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _finding(finding: Finding, names: dict[str, str], fail_on: FailOn) -> dict[str, Any]:
    loc = finding.location
    return {
        "rule_id": finding.rule_id,
        "rule_name": names.get(finding.rule_id),
        "severity": finding.severity.value,
        "message": finding.message,
        "location": None if loc is None else {"path": loc.path, "line": loc.line},
        "flag": finding.flag,
        "hint": finding.hint,
        "evidence": list(finding.evidence),
        "patch": finding.patch,
        "pre_existing": finding.pre_existing,
        "fails": fail_on.fails_on(finding),
    }


def to_json(
    report: Report,
    *,
    summary: SeriesSummary | None = None,
    catalogue: Catalogue | None = None,
    fail_on: FailOn = FailOn.ERROR,
) -> dict[str, Any]:
    summary = summary or SeriesSummary()
    names = {rule.id: rule.name for rule in catalogue or ()}
    counts = severity_counts(report)
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "tool": {"name": "patchcheck", "version": __version__},
        "source": summary.source,
        "series": summary.data,
        "summary": {
            "total": summary.total,
            "lines": list(summary.lines),
            "patches": [
                {"index": p.index, "subject": p.subject, "message_id": p.message_id} for p in summary.patches
            ],
        },
        "findings": [_finding(f, names, fail_on) for f in sorted_findings(report)],
        "skipped": list(report.skipped),
        "notes": list(report.notes),
        "counts": {s.value: n for s, n in counts.items()},
        "fail_on": fail_on.value,
        "exit_status": exit_status(report, fail_on),
    }


def json_ready(value: Any) -> Any:
    """`value` with every string valid Unicode: JSON and SARIF readers reject lone surrogates, which is how an
    undecodable byte of mail or tree is held; it is written as the text \\xNN instead."""
    if isinstance(value, str):
        return without_surrogates(value)
    if isinstance(value, dict):
        return {json_ready(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    return value


def render_json(
    report: Report,
    out: TextIO,
    *,
    summary: SeriesSummary | None = None,
    catalogue: Catalogue | None = None,
    fail_on: FailOn = FailOn.ERROR,
) -> None:
    data = to_json(report, summary=summary, catalogue=catalogue, fail_on=fail_on)
    json.dump(json_ready(data), out, indent=2)
    out.write("\n")


def from_json(data: Any) -> tuple[Report, SeriesSummary]:
    """Read back what `to_json` wrote (e.g. a verify run in a subprocess); ValueError if it is not that."""
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise ValueError("not a patchcheck JSON report")
    if data.get("version") != FORMAT_VERSION:
        raise ValueError(f"unsupported patchcheck report version {data.get('version')!r}")
    try:
        findings = [
            Finding(
                rule_id=str(f["rule_id"]),
                severity=Severity(f["severity"]),
                message=str(f["message"]),
                location=None
                if f["location"] is None
                else Location(str(f["location"]["path"]), f["location"]["line"]),
                flag=f["flag"],
                hint=f["hint"],
                evidence=tuple(f["evidence"]),
                patch=f["patch"],
            )
            for f in data["findings"]
        ]
        summary = SeriesSummary(
            lines=tuple(data["summary"]["lines"]),
            patches=tuple(
                PatchRef(int(p["index"]), str(p["subject"]), p["message_id"])
                for p in data["summary"]["patches"]
            ),
            source=data["source"],
            total=data["summary"]["total"],
            data=data["series"],
        )
        report = Report(findings=findings, skipped=list(data["skipped"]), notes=list(data["notes"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"malformed patchcheck JSON report: {exc!r}") from exc
    return report, summary
