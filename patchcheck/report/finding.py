"""The one shape every check reports in, kept apart from how it is rendered."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    # Something the tool could not decide (e.g. a guard over an unknown symbol). Never counted as an error.
    UNRESOLVED = "unresolved"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "unresolved": 1, "info": 0}[self.value]


@dataclass(frozen=True)
class Location:
    path: str
    line: int | None = None  # 1-based, in the file as the tree holds it (after the series, for verify)


@dataclass(frozen=True)
class Finding:
    rule_id: str  # stable code, e.g. "PC101"
    severity: Severity
    message: str  # one line
    location: Location | None = None
    flag: str | None = None  # e.g. "VM_DROPPABLE"
    hint: str | None = None  # how to fix, one line
    # Facts that make the finding defensible: guard formulas, sites seen, quoted sentences.
    evidence: tuple[str, ...] = ()
    patch: int | None = None  # 1-based index of the patch that introduced it (verify), None for audit
    # A gap the tree had before the series (shown because the series edits its table): never fails a run.
    pre_existing: bool = False

    def sort_key(self) -> tuple[int, str, int, str, str, str]:
        """Patch, file, line, rule; then the message and flag, so that the order is total (findings are
        gathered in sets: without them, equal keys would come out in a different order each run)."""
        loc = self.location
        where = (loc.path if loc else "", (loc.line or 0) if loc else 0)
        return (self.patch or 0, *where, self.rule_id, self.message, self.flag or "")


@dataclass
class Report:
    """Everything one command found, plus what it could not look at."""

    findings: list[Finding] = field(default_factory=list)
    # Checks that did not run and why ("R13 needs Documentation/filesystems/proc.rst, absent from tree").
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), key=lambda s: s.rank, default=None)
