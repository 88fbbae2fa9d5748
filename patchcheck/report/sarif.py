"""SARIF 2.1.0 for code-scanning services: the rule catalogue with its docs, and results located in the
patched files with the patch that introduced them in the result's properties."""

from __future__ import annotations

import json
from typing import Any, TextIO

from patchcheck import __version__
from patchcheck.report.finding import Finding, Report, Severity
from patchcheck.report.jsonout import json_ready
from patchcheck.report.summary import Catalogue, RuleInfo, SeriesSummary
from patchcheck.report.text import one_line, sorted_findings

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SRCROOT = "SRCROOT"

# SARIF 3.27.9: a result whose kind is not "fail" has level "none".
_RESULT_LEVEL_KIND: dict[Severity, tuple[str, str]] = {
    Severity.ERROR: ("error", "fail"),
    Severity.WARNING: ("warning", "fail"),
    Severity.UNRESOLVED: ("none", "review"),  # the tool could not decide: a person has to look
    Severity.INFO: ("none", "informational"),
}
_DEFAULT_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning"}


def _rule_descriptor(rule: RuleInfo) -> dict[str, Any]:
    help_text = "\n\n".join(
        part
        for part in (
            f"What it does: {rule.what}" if rule.what else "",
            f"Why it matters: {rule.why}" if rule.why else "",
            f"Example:\n{rule.example}" if rule.example else "",
            f"Fix: {rule.fix}" if rule.fix else "",
        )
        if part
    )
    markdown = "\n\n".join(
        part
        for part in (
            f"**What it does.** {rule.what}" if rule.what else "",
            f"**Why it matters.** {rule.why}" if rule.why else "",
            f"**Example.**\n\n```c\n{rule.example}\n```" if rule.example else "",
            f"**Fix.** {rule.fix}" if rule.fix else "",
        )
        if part
    )
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary or rule.name},
        "fullDescription": {"text": rule.what or rule.summary or rule.name},
        "defaultConfiguration": {"level": _DEFAULT_LEVEL.get(rule.severity, "note")},
        "properties": {"severity": rule.severity.value},
    }
    if help_text:
        descriptor["help"] = {"text": help_text, "markdown": markdown}
    return descriptor


def _fingerprint(finding: Finding) -> str:
    import hashlib  # only for SARIF: importing it loads OpenSSL, a few ms of every start

    loc = finding.location
    key = "\0".join((finding.rule_id, loc.path if loc else "", finding.flag or "", finding.message))
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def _result(finding: Finding, rule_index: int, summary: SeriesSummary) -> dict[str, Any]:
    level, kind = _RESULT_LEVEL_KIND[finding.severity]
    text = one_line(finding.message)
    if finding.hint:
        text = f"{text.rstrip('.')}. Fix: {one_line(finding.hint)}"
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "kind": kind,
        "level": level,
        "message": {"text": text},
        "partialFingerprints": {"patchcheckFinding/v1": _fingerprint(finding)},
    }
    loc = finding.location
    if loc is not None:
        physical: dict[str, Any] = {"artifactLocation": {"uri": loc.path, "uriBaseId": SRCROOT}}
        if loc.line is not None:
            physical["region"] = {"startLine": loc.line}
        result["locations"] = [{"physicalLocation": physical}]
    properties: dict[str, Any] = {"severity": finding.severity.value}
    if finding.flag:
        properties["flag"] = finding.flag
    if finding.hint:
        properties["hint"] = finding.hint
    if finding.evidence:
        properties["evidence"] = list(finding.evidence)
    if finding.patch is not None:
        ref = summary.patch(finding.patch)
        properties["patch"] = {
            "index": finding.patch,
            "total": summary.series_total or None,
            "subject": ref.subject if ref else None,
            "messageId": ref.message_id if ref else None,
        }
    result["properties"] = properties
    return result


def to_sarif(
    report: Report, *, summary: SeriesSummary | None = None, catalogue: Catalogue | None = None
) -> dict[str, Any]:
    summary = summary or SeriesSummary()
    rules = [_rule_descriptor(rule) for rule in catalogue or ()]
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    for finding in report.findings:  # a rule missing from the catalogue still needs a descriptor
        if finding.rule_id not in index:
            index[finding.rule_id] = len(rules)
            rules.append({"id": finding.rule_id})
    notifications = [
        {"level": "note", "message": {"text": f"skipped: {one_line(text)}"}} for text in report.skipped
    ] + [{"level": "note", "message": {"text": one_line(text)}} for text in report.notes]
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "patchcheck",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": rules,
            }
        },
        "originalUriBaseIds": {
            SRCROOT: {"description": {"text": "The top of the kernel tree the series was applied to."}}
        },
        "invocations": [invocation],
        "results": [_result(f, index[f.rule_id], summary) for f in sorted_findings(report)],
    }
    if summary.lines or summary.source:
        run["properties"] = {"summary": list(summary.lines), "source": summary.source}
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(
    report: Report,
    out: TextIO,
    *,
    summary: SeriesSummary | None = None,
    catalogue: Catalogue | None = None,
) -> None:
    json.dump(json_ready(to_sarif(report, summary=summary, catalogue=catalogue)), out, indent=2)
    out.write("\n")
