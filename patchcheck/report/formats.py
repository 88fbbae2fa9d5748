"""The output formats a run can print, read from `--format` or the config file: kept apart from the
renderers (patchcheck.report.render), which a run imports only when it prints."""

from __future__ import annotations

from enum import StrEnum

from patchcheck.errors import InputError


class OutputFormat(StrEnum):
    TEXT = "text"  # for people, grouped by patch
    TERSE = "terse"  # FILE:LINE: SEVERITY: MESSAGE [RULE]
    JSON = "json"  # patchcheck/report/schema/report-v1.schema.json
    SARIF = "sarif"  # SARIF 2.1.0
    B4 = "b4"  # b4 prep/am per-patch check lines
    B4_REVIEW = "b4-review"  # b4 0.16 review check JSON


def parse_format(value: str, *, origin: str = "--format") -> OutputFormat:
    try:
        return OutputFormat(value.strip().lower())
    except ValueError:
        choices = ", ".join(f.value for f in OutputFormat)
        raise InputError(f"{origin}: unknown format {value!r} (choose from {choices})") from None
