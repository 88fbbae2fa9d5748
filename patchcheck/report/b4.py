"""b4 0.16's review checks (`b4.review-perpatch-check-cmd`, `b4.review-series-check-cmd`).

b4 reads one JSON object (or a list of them) from the command's standard output with the keys `tool`,
`status` (`pass`, `warn` or `fail`), `summary`, `url` and `details`; `details` is a string that b4's review
screen shows as a list when it is itself a JSON list of `{"status", "description"}` entries, as b4 does for
checkpatch.
"""

from __future__ import annotations

import json
from typing import Any, Literal, TextIO

from patchcheck.report.finding import Report
from patchcheck.report.jsonout import json_ready
from patchcheck.report.policy import FailOn
from patchcheck.report.text import b4_severity_word, sorted_findings, terse_line

B4Status = Literal["pass", "warn", "fail"]
TOOL_NAME = "patchcheck"


def review_entry(report: Report, *, fail_on: FailOn = FailOn.ERROR) -> dict[str, Any]:
    details: list[dict[str, str]] = []
    worst: B4Status = "pass"
    errors = warnings = 0
    for finding in sorted_findings(report):
        word = b4_severity_word(finding, fail_on)
        if word is None:
            continue
        status: B4Status = "fail" if word == "ERROR" else "warn"
        if status == "fail":
            errors += 1
            worst = "fail"
        else:
            warnings += 1
            if worst == "pass":
                worst = "warn"
        details.append({"status": status, "description": terse_line(finding, word)})
    counted = ((errors, "error"), (warnings, "warning"))
    parts = [f"{n} {word}{'' if n == 1 else 's'}" for n, word in counted if n]
    return {
        "tool": TOOL_NAME,
        "status": worst,
        "summary": ", ".join(parts) if parts else "passed all checks",
        "url": "",
        "details": json.dumps(json_ready(details)) if details else "",
    }


def review_error_entry(message: str, *, status: B4Status = "fail") -> dict[str, Any]:
    """What b4 shows when the check itself could not run on this input (e.g. the patch does not apply)."""
    return {"tool": TOOL_NAME, "status": status, "summary": json_ready(message), "url": "", "details": ""}


def render_b4_review(report: Report, out: TextIO, *, fail_on: FailOn = FailOn.ERROR) -> None:
    json.dump(json_ready([review_entry(report, fail_on=fail_on)]), out)
    out.write("\n")
