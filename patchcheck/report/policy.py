"""Which findings count: `--disable`, `--fail-on` and the exit status they lead to."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from enum import StrEnum
from typing import TYPE_CHECKING

from patchcheck.errors import EXIT_CLEAN, EXIT_FINDINGS, InputError
from patchcheck.report.finding import Finding, Report, Severity

if TYPE_CHECKING:  # a type only: the summary's module is the printers'
    from patchcheck.report.summary import Catalogue


class FailOn(StrEnum):
    """The least severe finding that makes a run fail. Unresolved and info findings never fail a run."""

    ERROR = "error"
    WARNING = "warning"

    @property
    def threshold(self) -> int:
        return Severity(self.value).rank

    def fails(self, severity: Severity) -> bool:
        return severity.rank >= self.threshold

    def fails_on(self, finding: Finding) -> bool:
        """Whether `finding` fails the run: a pre-existing gap never does (the series did not cause it)."""
        return not finding.pre_existing and self.fails(finding.severity)


def parse_fail_on(value: str, *, origin: str = "--fail-on") -> FailOn:
    try:
        return FailOn(value.strip().lower())
    except ValueError:
        choices = ", ".join(f.value for f in FailOn)
        raise InputError(f"{origin}: {value!r} is not one of {choices}") from None


def split_rule_list(values: Iterable[str]) -> list[str]:
    """`--disable A,B --disable C` -> [A, B, C]."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def resolve_disabled(names: Iterable[str], catalogue: Catalogue | None) -> frozenset[str]:
    """Rule ids to drop. With a catalogue, names may be ids or rule names, and unknown ones are an error."""
    wanted = split_rule_list(names)
    if catalogue is None:
        return frozenset(wanted)
    by_key = {r.id.lower(): r.id for r in catalogue} | {r.name.lower(): r.id for r in catalogue}
    unknown = [n for n in wanted if n.lower() not in by_key]
    if unknown:
        raise InputError(f"cannot disable unknown rule(s): {', '.join(unknown)} (see `patchcheck rules`)")
    return frozenset(by_key[n.lower()] for n in wanted)


def without_disabled(report: Report, disabled: frozenset[str]) -> Report:
    """A copy of `report` without findings of disabled rules; says how many were dropped."""
    if not disabled:
        return report
    kept = [f for f in report.findings if f.rule_id not in disabled]
    dropped = len(report.findings) - len(kept)
    notes = list(report.notes)
    if dropped:
        notes.append(f"{dropped} finding(s) of disabled rules not shown: {', '.join(sorted(disabled))}")
    return replace(report, findings=kept, notes=notes)


def failing(report: Report, fail_on: FailOn) -> int:
    return sum(1 for f in report.findings if fail_on.fails_on(f))


def exit_status(report: Report, fail_on: FailOn = FailOn.ERROR) -> int:
    return EXIT_FINDINGS if failing(report, fail_on) else EXIT_CLEAN


def severity_counts(report: Report) -> dict[Severity, int]:
    counted = Counter(f.severity for f in report.findings)
    return {s: counted.get(s, 0) for s in Severity}
