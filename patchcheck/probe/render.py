"""Render a probe report: one line per claim for people, a JSON document for tools."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from patchcheck.probe.claims import CLAIMS, SERIES, Status
from patchcheck.probe.compare import compare_rows
from patchcheck.probe.run import ProbeReport

_TITLES = {claim.id: claim for claim in CLAIMS}


def _header(report: ProbeReport) -> str:
    release, machine = report.kernel.get("release", "unknown"), report.kernel.get("machine", "?")
    return f"patchcheck probe: kernel {release} ({machine}), {report.probed}"


def _summary(report: ProbeReport) -> str:
    counts = Counter(verdict.status for verdict in report.verdicts)
    parts = [f"{counts[status]} {status.value}" for status in Status if counts[status]]
    return f"{len(report.verdicts)} claims: " + ", ".join(parts)


def render_text(report: ProbeReport) -> str:
    width = max(len(verdict.claim) for verdict in report.verdicts)
    lines = [_header(report)]
    lines += [
        f"{verdict.claim:<{width}}  {verdict.status.value.upper():<11}  {verdict.evidence}"
        for verdict in report.verdicts
    ]
    lines.append(_summary(report))
    comparison = _comparison(report)
    if comparison is not None:
        lines.append("")
        lines += _table(comparison)
    return "\n".join(lines) + "\n"


def _comparison(report: ProbeReport) -> list[tuple[str, str, str]] | dict[str, Any] | None:
    rec = report.record("compare-lazyfree")
    if rec is None:
        return None
    if rec.get("outcome") != "ok":
        return {"outcome": rec.get("outcome"), "detail": rec.get("detail", "")}
    return compare_rows(rec)


def _table(comparison: list[tuple[str, str, str]] | dict[str, Any]) -> list[str]:
    if isinstance(comparison, dict):
        return [f"compare lazyfree: {comparison['outcome']} {comparison['detail']}".rstrip()]
    rows = [("MADV_FREE vs MAP_DROPPABLE", "MADV_FREE (lazyfree)", "MAP_DROPPABLE"), *comparison]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]


def render_json(report: ProbeReport) -> str:
    comparison = _comparison(report)
    document = {
        "kernel": {key: value for key, value in report.kernel.items() if key not in ("obs", "outcome")},
        "probed": report.probed,
        "series": SERIES,
        "claims": [
            {
                "id": verdict.claim,
                "title": _TITLES[verdict.claim].title if verdict.claim in _TITLES else "",
                "promise": _TITLES[verdict.claim].promise if verdict.claim in _TITLES else "",
                "status": verdict.status.value,
                "evidence": verdict.evidence,
            }
            for verdict in report.verdicts
        ],
        "summary": {status.value: sum(v.status is status for v in report.verdicts) for status in Status},
        "compare": (
            [{"measurement": a, "lazyfree": b, "droppable": c} for a, b, c in comparison]
            if isinstance(comparison, list)
            else comparison
        ),
        "observations": report.records,
    }
    return json.dumps(document, indent=2) + "\n"
